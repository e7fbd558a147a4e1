using TimeCoin.Core.Crypto;

namespace TimeCoin.Node.Storage;

/// <summary>A block as the store keeps it: its identity and links, the encoded header and the encoded block.</summary>
/// <param name="Hash">The block hash.</param>
/// <param name="Height">The block height.</param>
/// <param name="PreviousHash">The parent's hash.</param>
/// <param name="Header">The encoded header (loaded at start-up to rebuild the block tree).</param>
/// <param name="Body">The encoded block (served to peers and used to reorganize without re-download).</param>
public sealed record StoredBlock(Hash256 Hash, long Height, Hash256 PreviousHash, byte[] Header, byte[] Body);
