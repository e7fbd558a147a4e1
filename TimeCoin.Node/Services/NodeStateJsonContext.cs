using System.Text.Json.Serialization;
using TimeCoin.Core.Policy;

namespace TimeCoin.Node.Services;

/// <summary>
/// Source-generated JSON for the peer-policy document. The same format as the reflection serializer with a string-enum
/// converter wrote before (enums by name), so saved documents read either way; without reflection the first save costs
/// about a millisecond instead of ~50 ms, and it happens at start-up, before the node dials (the config whitelist is
/// applied then, and every policy change is saved).
/// </summary>
[JsonSourceGenerationOptions(UseStringEnumConverter = true)]
[JsonSerializable(typeof(PeerPolicySnapshot))]
internal sealed partial class NodeStateJsonContext : JsonSerializerContext;
