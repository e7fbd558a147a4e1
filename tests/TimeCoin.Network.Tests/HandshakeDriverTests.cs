using System.Net;
using Microsoft.Extensions.Time.Testing;
using TimeCoin.Core.Crypto;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;

namespace TimeCoin.Network.Tests;

public class HandshakeDriverTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(20);

    /// <summary>One side of a connection with its reader, writer and violation record.</summary>
    private sealed class Side(ITransportConnection connection, NetworkMagic magic)
    {
        public ITransportConnection Connection { get; } = connection;
        public RecordingViolationSink Violations { get; } = new();
        public FrameWriter Writer { get; } = new(connection.Output, magic);
        public MessageReader Reader => _reader ??= new MessageReader(new FrameReader(Connection.Input, _magic), Connection.RemoteEndPoint.Address, Violations);
        private readonly NetworkMagic _magic = magic;
        private MessageReader? _reader;

        public Task<HandshakeResult> RunAsync(LocalNodeInfo info, KeyPair key, TimeProvider? time = null) =>
            new HandshakeDriver(info, key, time ?? TimeProvider.System, Violations).RunAsync(Connection, Reader, Writer);
    }

    private static async Task<(Side Dialer, Side Accepted, IConnectionListener Listener)> TcpPairAsync(NetworkMagic dialerMagic, NetworkMagic acceptedMagic)
    {
        var transport = new TcpTransport();
        var listener = await transport.ListenAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var accepting = listener.AcceptAsync().AsTask();
        var dialer = await transport.DialAsync(listener.LocalEndPoint);
        var accepted = (await accepting.WaitAsync(Guard))!;
        return (new Side(dialer, dialerMagic), new Side(accepted, acceptedMagic), listener);
    }

    private static Task<(Side Dialer, Side Accepted, IConnectionListener Listener)> TcpPairAsync() => TcpPairAsync(NetworkMagic.Devnet, NetworkMagic.Devnet);

    [Fact]
    public async Task RunAsync_MatchingNodesOverTcp_BothSucceedAndLearnEachOther()
    {
        var (dialer, accepted, listener) = await TcpPairAsync();
        await using var _ = listener;
        using var a = KeyPair.Generate();
        using var b = KeyPair.Generate();

        var results = await Task.WhenAll(dialer.RunAsync(TestData.NodeInfo(a), a), accepted.RunAsync(TestData.NodeInfo(b) with { BestHeight = 7 }, b)).WaitAsync(Guard);

        Assert.True(results[0].IsSuccess, results[0].Detail);
        Assert.True(results[1].IsSuccess, results[1].Detail);
        Assert.Equal(b.PublicKey, results[0].Remote!.NodeId);
        Assert.Equal(7ul, results[0].Remote!.BestHeight);
        Assert.Equal(a.PublicKey, results[1].Remote!.NodeId);
        Assert.Empty(dialer.Violations.Records);
        Assert.Empty(accepted.Violations.Records);
        Assert.False(dialer.Connection.IsClosed);
    }

    [Fact]
    public async Task RunAsync_AfterSuccess_ConnectionCarriesMessages()
    {
        var (dialer, accepted, listener) = await TcpPairAsync();
        await using var _ = listener;
        using var a = KeyPair.Generate();
        using var b = KeyPair.Generate();
        await Task.WhenAll(dialer.RunAsync(TestData.NodeInfo(a), a), accepted.RunAsync(TestData.NodeInfo(b), b)).WaitAsync(Guard);

        await dialer.Writer.WriteAsync(new GetPeersMessage());
        var next = await accepted.Reader.ReadAsync().AsTask().WaitAsync(Guard);

        Assert.IsType<GetPeersMessage>(next.Message);
    }

    [Fact]
    public async Task RunAsync_PeerOnOtherNetworkMagic_SevereWrongNetworkAndClosed()
    {
        var (dialer, accepted, listener) = await TcpPairAsync(NetworkMagic.Devnet, NetworkMagic.Testnet);
        await using var _ = listener;
        using var a = KeyPair.Generate();
        using var b = KeyPair.Generate();

        var results = await Task.WhenAll(
            dialer.RunAsync(TestData.NodeInfo(a), a),
            accepted.RunAsync(TestData.NodeInfo(b, magic: NetworkMagic.Testnet), b)).WaitAsync(Guard);

        Assert.Equal(HandshakeFailure.WrongNetwork, results[0].Failure);
        Assert.True(results[0].IsSevere);
        var violation = Assert.Single(dialer.Violations.Records);
        Assert.Equal(ProtocolErrorKind.BadMagic, violation.Error.Kind);
        Assert.True(violation.Error.IsSevere);
        Assert.Equal(IPAddress.Loopback, violation.Remote);
        Assert.True(dialer.Connection.IsClosed);
    }

    [Fact]
    public async Task RunAsync_PeerWithOtherGenesis_SevereWrongGenesisRecorded()
    {
        var (dialer, accepted, listener) = await TcpPairAsync();
        await using var _ = listener;
        using var a = KeyPair.Generate();
        using var b = KeyPair.Generate();

        var results = await Task.WhenAll(
            dialer.RunAsync(TestData.NodeInfo(a), a),
            accepted.RunAsync(TestData.NodeInfo(b, genesis: TestData.OtherGenesis), b)).WaitAsync(Guard);

        Assert.Equal(HandshakeFailure.WrongGenesis, results[0].Failure);
        Assert.True(results[0].IsSevere);
        Assert.Equal(ProtocolErrorKind.WrongGenesis, Assert.Single(dialer.Violations.Records).Error.Kind);
        Assert.Equal(HandshakeFailure.WrongGenesis, results[1].Failure);
        Assert.True(dialer.Connection.IsClosed);
    }

    [Fact]
    public async Task RunAsync_PeerWithOldProtocolVersion_RejectedWithoutViolation()
    {
        var (dialer, accepted, listener) = await TcpPairAsync();
        await using var _ = listener;
        using var a = KeyPair.Generate();
        using var b = KeyPair.Generate();

        var results = await Task.WhenAll(
            dialer.RunAsync(TestData.NodeInfo(a), a),
            accepted.RunAsync(TestData.NodeInfo(b, version: 0), b)).WaitAsync(Guard);

        Assert.Equal(HandshakeFailure.IncompatibleVersion, results[0].Failure);
        Assert.False(results[0].IsSevere);
        Assert.Empty(dialer.Violations.Records);
        Assert.True(dialer.Connection.IsClosed);
    }

    [Fact]
    public async Task RunAsync_DialingOurOwnListener_RejectsSelfConnection()
    {
        var (dialer, accepted, listener) = await TcpPairAsync();
        await using var _ = listener;
        using var self = KeyPair.Generate();

        var results = await Task.WhenAll(
            dialer.RunAsync(TestData.NodeInfo(self), self),
            accepted.RunAsync(TestData.NodeInfo(self), self)).WaitAsync(Guard);

        Assert.Equal(HandshakeFailure.SelfConnection, results[0].Failure);
        Assert.Equal(HandshakeFailure.SelfConnection, results[1].Failure);
        Assert.Empty(dialer.Violations.Records);
    }

    [Fact]
    public async Task RunAsync_PeerSilentForTheTimeout_TimesOutOnFakeClockAndCloses()
    {
        var (dialer, accepted, listener) = await TcpPairAsync();
        await using var _ = listener;
        using var a = KeyPair.Generate();
        var clock = new FakeTimeProvider();

        var handshake = dialer.RunAsync(TestData.NodeInfo(a), a, clock);
        var ourVersion = await accepted.Reader.ReadAsync().AsTask().WaitAsync(Guard); // the deadline is armed once our version is out
        clock.Advance(TimeSpan.FromSeconds(9.9));
        bool doneBeforeDeadline = handshake.IsCompleted;
        clock.Advance(TimeSpan.FromSeconds(0.1));
        var result = await handshake.WaitAsync(Guard);

        Assert.IsType<VersionMessage>(ourVersion.Message);
        Assert.False(doneBeforeDeadline);
        Assert.Equal(HandshakeFailure.TimedOut, result.Failure);
        Assert.True(dialer.Connection.IsClosed);
    }

    [Fact]
    public async Task RunAsync_PeerAnswersVersionButNeverAcks_TimesOut()
    {
        var network = new InMemoryNetwork();
        await using var listener = await network.CreateTransport(IPAddress.Parse("10.0.0.2")).ListenAsync(new IPEndPoint(IPAddress.Any, 24100));
        var us = new Side(await network.CreateTransport(IPAddress.Parse("10.0.0.1")).DialAsync(listener.LocalEndPoint), NetworkMagic.Devnet);
        var peer = new Side((await listener.AcceptAsync())!, NetworkMagic.Devnet);
        using var a = KeyPair.Generate();
        using var b = KeyPair.Generate();
        var clock = new FakeTimeProvider();

        var handshake = us.RunAsync(TestData.NodeInfo(a), a, clock);
        await peer.Reader.ReadAsync().AsTask().WaitAsync(Guard);
        await peer.Writer.WriteAsync(TestData.NodeInfo(b).ToVersionMessage(5, 0));
        await peer.Reader.ReadAsync().AsTask().WaitAsync(Guard); // our VerAck
        clock.Advance(TimeSpan.FromSeconds(10));
        var result = await handshake.WaitAsync(Guard);

        Assert.Equal(HandshakeFailure.TimedOut, result.Failure);
        Assert.Equal(b.PublicKey, result.Remote!.NodeId);
    }

    [Fact]
    public async Task RunAsync_PeerClaimsNodeIdItCannotSignFor_SevereBadSignature()
    {
        var network = new InMemoryNetwork();
        await using var listener = await network.CreateTransport(IPAddress.Parse("10.0.0.2")).ListenAsync(new IPEndPoint(IPAddress.Any, 24100));
        var us = new Side(await network.CreateTransport(IPAddress.Parse("10.0.0.1")).DialAsync(listener.LocalEndPoint), NetworkMagic.Devnet);
        var impostor = new Side((await listener.AcceptAsync())!, NetworkMagic.Devnet);
        using var a = KeyPair.Generate();
        using var victim = KeyPair.Generate();
        using var impostorKey = KeyPair.Generate();

        var handshake = us.RunAsync(TestData.NodeInfo(a), a);
        var ourVersion = (VersionMessage)(await impostor.Reader.ReadAsync().AsTask().WaitAsync(Guard)).Message!;
        await impostor.Writer.WriteAsync(TestData.NodeInfo(victim).ToVersionMessage(5, 0));
        await impostor.Writer.WriteAsync(new VerAckMessage(HandshakeProof.Sign(impostorKey, NetworkMagic.Devnet, ourVersion.Nonce, a.PublicKey)));
        var result = await handshake.WaitAsync(Guard);

        Assert.Equal(HandshakeFailure.BadSignature, result.Failure);
        Assert.True(result.IsSevere);
        Assert.Equal(ProtocolErrorKind.BadHandshakeSignature, Assert.Single(us.Violations.Records).Error.Kind);
        Assert.True(us.Connection.IsClosed);
    }

    [Fact]
    public async Task RunAsync_PeerSendsPingBeforeVersion_ProtocolErrorRecorded()
    {
        var network = new InMemoryNetwork();
        await using var listener = await network.CreateTransport(IPAddress.Parse("10.0.0.2")).ListenAsync(new IPEndPoint(IPAddress.Any, 24100));
        var us = new Side(await network.CreateTransport(IPAddress.Parse("10.0.0.1")).DialAsync(listener.LocalEndPoint), NetworkMagic.Devnet);
        var peer = new Side((await listener.AcceptAsync())!, NetworkMagic.Devnet);
        using var a = KeyPair.Generate();

        var handshake = us.RunAsync(TestData.NodeInfo(a), a);
        await peer.Writer.WriteAsync(new PingMessage(1, 1, 1));
        var result = await handshake.WaitAsync(Guard);

        Assert.Equal(HandshakeFailure.ProtocolError, result.Failure);
        Assert.Equal(ProtocolErrorKind.UnexpectedMessage, Assert.Single(us.Violations.Records).Error.Kind);
        Assert.Equal(IPAddress.Parse("10.0.0.2"), us.Violations.Records[0].Remote);
    }

    [Fact]
    public async Task RunAsync_PeerHangsUp_ConnectionClosedWithoutViolation()
    {
        var (dialer, accepted, listener) = await TcpPairAsync();
        await using var _ = listener;
        using var a = KeyPair.Generate();

        var handshake = dialer.RunAsync(TestData.NodeInfo(a), a);
        accepted.Connection.Close();
        var result = await handshake.WaitAsync(Guard);

        Assert.Equal(HandshakeFailure.ConnectionClosed, result.Failure);
        Assert.Empty(dialer.Violations.Records);
    }
}
