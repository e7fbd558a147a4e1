using TimeCoin.Network.Protocol;

namespace TimeCoin.Node.Sync;

/// <summary>Bounds of what <see cref="ChainSyncService"/> serves to one request.</summary>
public sealed record ChainSyncServiceOptions
{
    /// <summary>Most headers in one reply (the protocol's maximum, as Bitcoin Core: 2,000).</summary>
    public int MaxHeadersPerReply { get; init; } = ProtocolLimits.MaxHeadersPerMessage;

    /// <summary>Most blocks in one reply (the protocol's maximum, 128).</summary>
    public int MaxBlocksPerReply { get; init; } = ProtocolLimits.MaxBlocksPerMessage;

    /// <summary>
    /// Most encoded block bytes in one reply: the 4 MiB frame maximum less room for the message's own framing.
    /// A reply that would exceed it stops early; the requester asks again for the rest.
    /// </summary>
    public int MaxBlockBytesPerReply { get; init; } = ProtocolLimits.DefaultMaxPayloadLength - 64 * 1024;

    /// <summary>
    /// Verify each received header's producer signature before the planner sees it (so a fake header chain cannot be
    /// built without a federation key). Costs one Ed25519 verification per header.
    /// </summary>
    public bool VerifyHeaderSignatures { get; init; } = true;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxHeadersPerReply, nameof(MaxHeadersPerReply));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxHeadersPerReply, ProtocolLimits.MaxHeadersPerMessage, nameof(MaxHeadersPerReply));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxBlocksPerReply, nameof(MaxBlocksPerReply));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxBlocksPerReply, ProtocolLimits.MaxBlocksPerMessage, nameof(MaxBlocksPerReply));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxBlockBytesPerReply, nameof(MaxBlockBytesPerReply));
    }
}
