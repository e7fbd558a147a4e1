namespace TimeCoin.Simulation.Hostile;

/// <summary>One connection an attacker opened to an honest node, and how it ended.</summary>
internal sealed class HostileConnectionRecord
{
    /// <summary>The attacker's role.</summary>
    public required HostileRole Role { get; init; }

    /// <summary>The attacker's source address of this connection.</summary>
    public required string Source { get; init; }

    /// <summary>Index of the honest node dialed.</summary>
    public required int Target { get; init; }

    /// <summary>When the dial succeeded (virtual time).</summary>
    public required TimeSpan OpenedAt { get; init; }

    /// <summary>When the handshake completed, or null (refused, failed, or a connection that never sends a version).</summary>
    public TimeSpan? HandshakeAt { get; set; }

    /// <summary>When the connection ended, or null while open.</summary>
    public TimeSpan? ClosedAt { get; set; }

    /// <summary>How it ended: <c>banned</c> (the honest node closed it and bans the address), <c>dropped</c> (closed by the honest node, no ban), or null while open.</summary>
    public string? Outcome { get; set; }

    /// <summary>Messages the attacker wrote on it.</summary>
    public long MessagesSent { get; set; }

    /// <summary>Bytes the attacker wrote on it.</summary>
    public long BytesSent { get; set; }

    /// <summary>How long it has been (or was) open at <paramref name="now"/>.</summary>
    public TimeSpan Age(TimeSpan now) => (ClosedAt ?? now) - OpenedAt;
}
