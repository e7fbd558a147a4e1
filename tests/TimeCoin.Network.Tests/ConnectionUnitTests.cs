using System.Net;
using NSubstitute;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Peers;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;

namespace TimeCoin.Network.Tests;

public class ConnectionUnitTests
{
    private static IPeer Peer(PublicKey nodeId, bool inbound, int connectedSecond = 0)
    {
        var peer = Substitute.For<IPeer>();
        peer.NodeId.Returns(nodeId);
        peer.IsInbound.Returns(inbound);
        peer.ConnectedAt.Returns(DateTimeOffset.UnixEpoch.AddSeconds(connectedSecond));
        return peer;
    }

    [Fact]
    public void Register_SimultaneousDial_BothSidesKeepTheConnectionDialedByTheLowerId()
    {
        using var x = KeyPair.Generate();
        using var y = KeyPair.Generate();
        var (low, high) = x.PublicKey.CompareTo(y.PublicKey) < 0 ? (x.PublicKey, y.PublicKey) : (y.PublicKey, x.PublicKey);
        // At the low node the kept connection is outbound (it dialed); at the high node it is inbound.
        foreach (bool outboundFirst in new[] { true, false })
        {
            var atLow = new ConnectionRegistry(low);
            var lowOut = Peer(high, inbound: false);
            var lowIn = Peer(high, inbound: true);
            var lowLoser = outboundFirst ? (atLow.Register(lowOut), atLow.Register(lowIn)).Item2 : (atLow.Register(lowIn), atLow.Register(lowOut)).Item2;
            Assert.Same(lowIn, lowLoser);
            Assert.Same(lowOut, atLow.Find(high));

            var atHigh = new ConnectionRegistry(high);
            var highOut = Peer(low, inbound: false);
            var highIn = Peer(low, inbound: true);
            var highLoser = outboundFirst ? (atHigh.Register(highOut), atHigh.Register(highIn)).Item2 : (atHigh.Register(highIn), atHigh.Register(highOut)).Item2;
            Assert.Same(highOut, highLoser);
            Assert.Same(highIn, atHigh.Find(low));
        }
    }

    [Fact]
    public void Register_SameDialerTwice_NewerConnectionReplacesTheStaleOne()
    {
        using var local = KeyPair.Generate();
        using var remote = KeyPair.Generate();
        var registry = new ConnectionRegistry(local.PublicKey);
        var stale = Peer(remote.PublicKey, inbound: true, 1);
        var fresh = Peer(remote.PublicKey, inbound: true, 2);
        registry.Register(stale);

        Assert.Same(stale, registry.Register(fresh));
        Assert.Same(fresh, registry.Find(remote.PublicKey));
        Assert.False(registry.Remove(stale)); // removing the loser later does not remove the live one
        Assert.Equal(1, registry.Count);
    }

    [Fact]
    public void Register_OurOwnNodeId_Refused()
    {
        using var local = KeyPair.Generate();
        var registry = new ConnectionRegistry(local.PublicKey);
        var self = Peer(local.PublicKey, inbound: true);

        Assert.Same(self, registry.Register(self));
        Assert.Equal(0, registry.Count);
    }

    [Fact]
    public void NextDelay_OrdinaryPeer_DoublesFromOneSecondToFiveMinuteCap()
    {
        var backoff = ReconnectBackoff.Default;
        var delays = Enumerable.Range(1, 12).Select(f => backoff.NextDelay(f, persistent: false, random: null).TotalSeconds).ToArray();

        Assert.Equal([1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300], delays);
    }

    [Fact]
    public void NextDelay_PersistentPeer_FirstRetryImmediateThenCappedAtThirtySeconds()
    {
        var backoff = ReconnectBackoff.Default;
        var delays = Enumerable.Range(1, 8).Select(f => backoff.NextDelay(f, persistent: true, random: null).TotalSeconds).ToArray();

        Assert.Equal([0, 1, 2, 4, 8, 16, 30, 30], delays);
        Assert.Equal(30, backoff.NextDelay(100_000, persistent: true, random: null).TotalSeconds); // never gives up, never grows
    }

    [Fact]
    public void NextDelay_WithJitter_StaysWithinTwentyPercentAndUnderTheCap()
    {
        var backoff = ReconnectBackoff.Default;
        var random = new Random(5);
        var samples = Enumerable.Range(0, 200).Select(_ => backoff.NextDelay(3, persistent: false, random).TotalSeconds).ToArray();

        Assert.All(samples, d => Assert.InRange(d, 3.2, 4.8));
        Assert.True(samples.Distinct().Count() > 100);
        Assert.All(Enumerable.Range(0, 50), _ => Assert.True(backoff.NextDelay(30, false, random) <= TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public void TryAdd_BeyondCapacity_ForgetsTheOldestHash()
    {
        var filter = new RecentHashFilter(2);
        Assert.True(filter.TryAdd(TestData.HashOf(1)));
        Assert.False(filter.TryAdd(TestData.HashOf(1)));
        Assert.True(filter.TryAdd(TestData.HashOf(2)));
        Assert.True(filter.TryAdd(TestData.HashOf(3)));

        Assert.False(filter.Contains(TestData.HashOf(1)));
        Assert.True(filter.Contains(TestData.HashOf(3)));
        Assert.Equal(2, filter.Count);
    }

    [Theory]
    [InlineData(ProtocolErrorKind.BadMagic, ViolationKind.WrongNetwork)]
    [InlineData(ProtocolErrorKind.WrongNetwork, ViolationKind.WrongNetwork)]
    [InlineData(ProtocolErrorKind.WrongGenesis, ViolationKind.WrongGenesis)]
    [InlineData(ProtocolErrorKind.Oversized, ViolationKind.OversizedFrame)]
    [InlineData(ProtocolErrorKind.BadHandshakeSignature, ViolationKind.ForgedSignature)]
    [InlineData(ProtocolErrorKind.BadChecksum, ViolationKind.MalformedMessage)]
    [InlineData(ProtocolErrorKind.UnknownType, ViolationKind.MalformedMessage)]
    [InlineData(ProtocolErrorKind.Undecodable, ViolationKind.MalformedMessage)]
    [InlineData(ProtocolErrorKind.UnexpectedMessage, ViolationKind.MalformedMessage)]
    // ProtocolErrorKind is internal, so a public test method cannot take it as a parameter type: it comes boxed.
    public void ToViolationKind_EachProtocolError_MapsAsDocumented(object error, ViolationKind expected) =>
        Assert.Equal(expected, ProtocolViolationMapping.ToViolationKind((ProtocolErrorKind)error));

    [Fact]
    public void Constructor_BadListEntries_ErrorNamesEveryBadEntry()
    {
        var options = new ConnectionManagerOptions
        {
            WhitelistedPeers = ["10.0.0.1", "frobnicate@10.0.0.2"],
            BlacklistedPeers = ["10.0.0.1/8"],
            BootstrapPeers = ["seed.example.org"],
        };

        var error = Assert.Throws<ArgumentException>(() => new TestNode(new InMemoryNetwork().CreateTransport(IPAddress.Parse("10.0.0.9")), options));

        Assert.Contains("whitelisted_peers", error.Message, StringComparison.Ordinal);
        Assert.Contains("frobnicate", error.Message, StringComparison.Ordinal);
        Assert.Contains("blacklisted_peers", error.Message, StringComparison.Ordinal);
        Assert.Contains("bootstrap_peers", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NetworkMagic_ForChainParameters_IsTheChainsMagic()
    {
        Assert.Equal(TimeCoin.Core.Chain.ChainParameters.Mainnet.NetworkMagic, NetworkMagic.For(TimeCoin.Core.Chain.ChainParameters.Mainnet).Value);
        Assert.Equal(NetworkMagic.Devnet, NetworkMagic.For(TimeCoin.Core.Chain.ChainParameters.Devnet));
        Assert.Equal(TimeCoin.Core.Chain.ChainParameters.TestnetMagic, NetworkMagic.Testnet.Value);
    }
}
