using System.Net;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Protocol;

namespace TimeCoin.Network.Peers;

/// <summary>
/// An <see cref="IViolationSink"/> that records every protocol error in the <see cref="PeerPolicy"/> (mapped by
/// <see cref="ProtocolViolationMapping"/>) and hands the policy's decision to a callback, which carries it out
/// (disconnect, or disconnect everything from a banned address). Thread-safe as the policy is.
/// </summary>
internal sealed class PolicyViolationSink : IViolationSink
{
    private readonly PeerPolicy _policy;
    private readonly Action<IPAddress, ProtocolError, ViolationOutcome>? _onOutcome;

    /// <summary>Creates a sink.</summary>
    /// <param name="policy">Where violations are recorded.</param>
    /// <param name="onOutcome">Called after each recorded violation with the policy's decision; may be null.</param>
    public PolicyViolationSink(PeerPolicy policy, Action<IPAddress, ProtocolError, ViolationOutcome>? onOutcome = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        _policy = policy;
        _onOutcome = onOutcome;
    }

    /// <inheritdoc />
    public void Record(IPAddress remote, ProtocolError error)
    {
        ArgumentNullException.ThrowIfNull(remote);
        ArgumentNullException.ThrowIfNull(error);
        var outcome = _policy.RecordViolation(remote, ProtocolViolationMapping.ToViolationKind(error.Kind), error.ToString());
        _onOutcome?.Invoke(remote, error, outcome);
    }
}
