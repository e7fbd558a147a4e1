namespace TimeCoin.Core.Policy;

/// <summary>What a whitelist entry grants a peer. Config text names: see <see cref="PeerPermissionNames"/>.</summary>
[Flags]
public enum PeerPermissions
{
    /// <summary>Nothing granted.</summary>
    None = 0,

    /// <summary>Extended pong limits and keep-alive pings (config name <c>lenientliveness</c>).</summary>
    LenientLiveness = 1,

    /// <summary>Never banned for ordinary violations; severe ones still disconnect (config name <c>noban</c>).</summary>
    NoBan = 2,

    /// <summary>Preferred as a block source when syncing (config name <c>prioritysync</c>).</summary>
    PrioritySync = 4,

    /// <summary>May use the inbound slots reserved for trusted peers (config name <c>reservedslot</c>).</summary>
    ReservedSlot = 8,

    /// <summary>Every permission (config name <c>all</c>).</summary>
    All = LenientLiveness | NoBan | PrioritySync | ReservedSlot,
}
