using TimeCoin.Core.Crypto;
using TimeCoin.Network.Protocol;

namespace TimeCoin.Network.Tests;

public class HandshakeRulesTests
{
    private static readonly KeyPair Us = KeyPair.Generate();
    private static readonly KeyPair Them = KeyPair.Generate();
    private static readonly LocalNodeInfo Local = TestData.NodeInfo(Us);
    private const ulong OurNonce = 1234;

    private static VersionMessage Remote(Func<LocalNodeInfo, LocalNodeInfo>? change = null, ulong nonce = 999) =>
        (change?.Invoke(TestData.NodeInfo(Them)) ?? TestData.NodeInfo(Them)).ToVersionMessage(nonce, 0);

    [Fact]
    public void Evaluate_SameNetworkAndGenesis_Accepts()
    {
        var decision = HandshakeRules.Evaluate(Local, OurNonce, Remote());

        Assert.True(decision.IsAccepted);
    }

    [Fact]
    public void Evaluate_OtherMagic_RejectsAsSevereWrongNetwork()
    {
        var decision = HandshakeRules.Evaluate(Local, OurNonce, Remote(r => r with { NetworkMagic = NetworkMagic.Mainnet }));

        Assert.Equal(HandshakeFailure.WrongNetwork, decision.Failure);
        Assert.True(decision.IsSevere);
    }

    [Fact]
    public void Evaluate_SameMagicOtherNetworkName_RejectsAsSevereWrongNetwork()
    {
        var decision = HandshakeRules.Evaluate(Local, OurNonce, Remote(r => r with { NetworkName = "testnet" }));

        Assert.Equal(HandshakeFailure.WrongNetwork, decision.Failure);
        Assert.True(decision.IsSevere);
        Assert.Contains("testnet", decision.Detail);
    }

    [Fact]
    public void Evaluate_OtherGenesis_RejectsAsSevereWrongGenesis()
    {
        var decision = HandshakeRules.Evaluate(Local, OurNonce, Remote(r => r with { GenesisHash = TestData.OtherGenesis }));

        Assert.Equal(HandshakeFailure.WrongGenesis, decision.Failure);
        Assert.True(decision.IsSevere);
    }

    [Fact]
    public void Evaluate_VersionBelowMinimum_RejectsWithoutViolation()
    {
        var decision = HandshakeRules.Evaluate(Local, OurNonce, Remote(r => r with { ProtocolVersion = 0 }));

        Assert.Equal(HandshakeFailure.IncompatibleVersion, decision.Failure);
        Assert.False(decision.IsSevere);
    }

    [Fact]
    public void Evaluate_NewerVersion_Accepts()
    {
        var decision = HandshakeRules.Evaluate(Local, OurNonce, Remote(r => r with { ProtocolVersion = 99 }));

        Assert.True(decision.IsAccepted);
    }

    [Fact]
    public void Evaluate_OurOwnNodeId_RejectsAsSelfConnection()
    {
        var decision = HandshakeRules.Evaluate(Local, OurNonce, Local.ToVersionMessage(777, 0));

        Assert.Equal(HandshakeFailure.SelfConnection, decision.Failure);
        Assert.False(decision.IsSevere);
    }

    [Fact]
    public void Evaluate_OurOwnNonceEchoed_RejectsAsSelfConnection()
    {
        var decision = HandshakeRules.Evaluate(Local, OurNonce, Remote(nonce: OurNonce));

        Assert.Equal(HandshakeFailure.SelfConnection, decision.Failure);
    }

    [Fact]
    public void Evaluate_WrongNetworkAndWrongGenesis_ReportsTheNetworkFirst()
    {
        var decision = HandshakeRules.Evaluate(Local, OurNonce, Remote(r => r with { NetworkMagic = NetworkMagic.Mainnet, GenesisHash = TestData.OtherGenesis }));

        Assert.Equal(HandshakeFailure.WrongNetwork, decision.Failure);
    }
}
