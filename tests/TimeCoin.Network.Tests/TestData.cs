using System.Net;
using TimeCoin.Core.Crypto;
using TimeCoin.Network.Protocol;

namespace TimeCoin.Network.Tests;

internal static class TestData
{
    public static readonly Hash256 Genesis = Hash256.DoubleSha256("timecoin devnet genesis"u8);
    public static readonly Hash256 OtherGenesis = Hash256.DoubleSha256("another chain"u8);

    public static Hash256 HashOf(int i) => Hash256.DoubleSha256(BitConverter.GetBytes(i));

    public static LocalNodeInfo NodeInfo(KeyPair key, NetworkMagic? magic = null, Hash256? genesis = null, uint version = LocalNodeInfo.CurrentProtocolVersion) => new(
        ProtocolVersion: version,
        MinimumProtocolVersion: 1,
        NetworkMagic: magic ?? NetworkMagic.Devnet,
        NetworkName: magic is { } m && m != NetworkMagic.Devnet ? "testnet" : "devnet",
        GenesisHash: genesis ?? Genesis,
        NodeId: key.PublicKey,
        ListenAddress: new IPEndPoint(IPAddress.Loopback, 24100),
        BestHeight: 42,
        TipHash: HashOf(42),
        IsMasternode: true,
        UserAgent: "TimeCoin.Net/test");
}
