namespace TimeCoin.Network.Protocol;

/// <summary>
/// The handshake checks as a pure function. In order: the network (magic and name) must match — severe; the genesis
/// hash must match — severe; the peer must not be ourselves (same node id, or our own nonce echoed back) — rejected,
/// not a violation; its protocol version must be at least our minimum — rejected, not a violation.
/// </summary>
internal static class HandshakeRules
{
    /// <summary>Judges the remote's version message.</summary>
    /// <param name="local">Our node info.</param>
    /// <param name="localNonce">The nonce we sent on this connection.</param>
    /// <param name="remote">The version message the peer sent.</param>
    public static HandshakeDecision Evaluate(LocalNodeInfo local, ulong localNonce, VersionMessage remote)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(remote);
        if (remote.NetworkMagic != local.NetworkMagic)
            return HandshakeDecision.Reject(HandshakeFailure.WrongNetwork,
                $"peer network magic {remote.NetworkMagic} is not ours ({local.NetworkMagic})", severe: true);
        if (!string.Equals(remote.NetworkName, local.NetworkName, StringComparison.Ordinal))
            return HandshakeDecision.Reject(HandshakeFailure.WrongNetwork,
                $"peer network '{remote.NetworkName}' is not ours ('{local.NetworkName}')", severe: true);
        if (remote.GenesisHash != local.GenesisHash)
            return HandshakeDecision.Reject(HandshakeFailure.WrongGenesis,
                $"peer genesis {remote.GenesisHash} is not ours ({local.GenesisHash})", severe: true);
        if (remote.NodeId == local.NodeId)
            return HandshakeDecision.Reject(HandshakeFailure.SelfConnection,
                $"peer node id {remote.NodeId.ToShortString()} is our own", severe: false);
        if (remote.Nonce == localNonce)
            return HandshakeDecision.Reject(HandshakeFailure.SelfConnection,
                "peer echoed our own handshake nonce", severe: false);
        if (remote.ProtocolVersion < local.MinimumProtocolVersion)
            return HandshakeDecision.Reject(HandshakeFailure.IncompatibleVersion,
                $"peer protocol version {remote.ProtocolVersion} is below our minimum {local.MinimumProtocolVersion}", severe: false);
        return HandshakeDecision.Accept;
    }
}
