using System.Security.Cryptography;
using TimeCoin.Core.Crypto;
using TimeCoin.Network.Transport;

namespace TimeCoin.Network.Protocol;

/// <summary>
/// Runs the handshake on a fresh connection, the same way for inbound and outbound: send our Version, receive
/// theirs and judge it with <see cref="HandshakeRules"/>, send a VerAck that signs their nonce, receive their VerAck
/// and verify it against the node id they announced. Until it succeeds, frames longer than
/// <see cref="ProtocolLimits.MaxHandshakePayloadLength"/> are refused at their header. The whole exchange has a deadline on the injected
/// <see cref="TimeProvider"/>. On any failure the connection is closed at once (<see cref="ITransportConnection.Abort"/>); severe failures and protocol errors are
/// reported to the <see cref="IViolationSink"/> (frame and decode errors by the <see cref="MessageReader"/>).
/// </summary>
internal sealed class HandshakeDriver
{
    private readonly LocalNodeInfo _local;
    private readonly KeyPair _nodeKey;
    private readonly TimeProvider _time;
    private readonly IViolationSink _violations;
    private readonly HandshakeOptions _options;
    private readonly Func<ulong> _nonceSource;

    /// <summary>Creates a driver.</summary>
    /// <param name="local">What we announce; its <see cref="LocalNodeInfo.NodeId"/> must be <paramref name="nodeKey"/>'s public key.</param>
    /// <param name="nodeKey">Our node key, used to sign the acknowledgement.</param>
    /// <param name="time">Clock for the deadline and the version timestamp.</param>
    /// <param name="violations">Where handshake violations are reported.</param>
    /// <param name="options">Timeout; defaults when null.</param>
    /// <param name="nonceSource">Source of per-connection nonces; a cryptographic random source when null.</param>
    public HandshakeDriver(LocalNodeInfo local, KeyPair nodeKey, TimeProvider time, IViolationSink violations,
        HandshakeOptions? options = null, Func<ulong>? nonceSource = null)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(nodeKey);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(violations);
        if (nodeKey.PublicKey != local.NodeId)
            throw new ArgumentException("The node key does not match the announced node id.", nameof(nodeKey));
        _local = local;
        _nodeKey = nodeKey;
        _time = time;
        _violations = violations;
        _options = options ?? new HandshakeOptions();
        _nonceSource = nonceSource ?? (() => BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)));
    }

    /// <summary>
    /// Runs the handshake. Never throws for anything the peer does; on failure the connection is closed.
    /// </summary>
    /// <param name="connection">The connection (closed on failure).</param>
    /// <param name="reader">Reads the peer's messages from <paramref name="connection"/>.</param>
    /// <param name="writer">Writes to <paramref name="connection"/>.</param>
    /// <param name="local">Our info for this connection (e.g. with the current tip), or null for the driver's.</param>
    /// <param name="cancellationToken">Cancels the handshake (reported as <see cref="HandshakeFailure.Canceled"/>).</param>
    public async Task<HandshakeResult> RunAsync(ITransportConnection connection, MessageReader reader, FrameWriter writer,
        LocalNodeInfo? local = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(writer);
        local ??= _local;
        // Only a Version and a VerAck may come before the handshake completes: a longer frame is refused at its header.
        reader.Frames.LimitPayload(ProtocolLimits.MaxHandshakePayloadLength);
        using var deadline = new CancellationTokenSource(_options.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        HandshakeResult result;
        try
        {
            result = await ExchangeAsync(local, reader, writer, linked.Token);
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            result = HandshakeResult.Failed(HandshakeFailure.Canceled, "cancelled while writing", false);
        }
        if (result.Failure == HandshakeFailure.Canceled && deadline.IsCancellationRequested)
            result = result with { Failure = HandshakeFailure.TimedOut, Detail = $"handshake not completed within {_options.Timeout.TotalSeconds:0.###} s" };
        if (result.IsSuccess)
            reader.Frames.RemovePayloadLimit();
        else
            connection.Abort(); // no goodbye follows a failed handshake: nothing written needs delivering
        return result;
    }

    private async Task<HandshakeResult> ExchangeAsync(LocalNodeInfo local, MessageReader reader, FrameWriter writer, CancellationToken token)
    {
        ulong nonce = _nonceSource();
        var ours = local.ToVersionMessage(nonce, _time.GetUtcNow().ToUnixTimeSeconds());
        if (!await writer.WriteAsync(ours, token))
            return HandshakeResult.Failed(HandshakeFailure.ConnectionClosed, "connection closed while sending our version", false);

        var (versionMessage, failure) = await ExpectAsync(reader, MessageType.Version, token);
        if (failure is not null)
            return failure;
        var remote = (VersionMessage)versionMessage!;

        var decision = HandshakeRules.Evaluate(local, nonce, remote);
        if (!decision.IsAccepted)
        {
            if (decision.IsSevere)
                _violations.Record(reader.Remote, new ProtocolError(
                    decision.Failure == HandshakeFailure.WrongGenesis ? ProtocolErrorKind.WrongGenesis : ProtocolErrorKind.WrongNetwork,
                    decision.Detail, ClosesConnection: true, IsSevere: true));
            return HandshakeResult.Failed(decision.Failure!.Value, decision.Detail, decision.IsSevere, remote);
        }

        var proof = HandshakeProof.Sign(_nodeKey, local.NetworkMagic, remote.Nonce, remote.NodeId);
        if (!await writer.WriteAsync(new VerAckMessage(proof), token))
            return HandshakeResult.Failed(HandshakeFailure.ConnectionClosed, "connection closed while sending our acknowledgement", false, remote);

        var (verAckMessage, ackFailure) = await ExpectAsync(reader, MessageType.VerAck, token);
        if (ackFailure is not null)
            return ackFailure with { Remote = remote };
        var verAck = (VerAckMessage)verAckMessage!;
        if (!HandshakeProof.Verify(verAck.Signature.Span, local.NetworkMagic, nonce, remote.NodeId, local.NodeId))
        {
            string detail = $"acknowledgement signature does not verify with announced node id {remote.NodeId.ToShortString()}";
            _violations.Record(reader.Remote, new ProtocolError(ProtocolErrorKind.BadHandshakeSignature, detail, ClosesConnection: true, IsSevere: true));
            return HandshakeResult.Failed(HandshakeFailure.BadSignature, detail, true, remote);
        }
        return HandshakeResult.Success(remote);
    }

    private async Task<(NetworkMessage? Message, HandshakeResult? Failure)> ExpectAsync(MessageReader reader, MessageType expected, CancellationToken token)
    {
        var read = await reader.ReadAsync(token);
        switch (read.Status)
        {
            case MessageReadStatus.Message when read.Message!.Type == expected:
                return (read.Message, null);
            case MessageReadStatus.Message:
            {
                string detail = $"expected {expected} during the handshake, got {read.Message!.Type}";
                _violations.Record(reader.Remote, new ProtocolError(ProtocolErrorKind.UnexpectedMessage, detail, ClosesConnection: true, IsSevere: false));
                return (null, HandshakeResult.Failed(HandshakeFailure.ProtocolError, detail, false));
            }
            case MessageReadStatus.Error when read.Error!.Kind == ProtocolErrorKind.BadMagic:
                return (null, HandshakeResult.Failed(HandshakeFailure.WrongNetwork, read.Error.Detail, true));
            case MessageReadStatus.Error:
                return (null, HandshakeResult.Failed(HandshakeFailure.ProtocolError, read.Error!.ToString(), read.Error.IsSevere));
            case MessageReadStatus.Closed:
                return (null, HandshakeResult.Failed(HandshakeFailure.ConnectionClosed, read.CloseReason ?? "connection closed", false));
            default:
                return (null, HandshakeResult.Failed(HandshakeFailure.Canceled, $"cancelled while waiting for {expected}", false));
        }
    }
}
