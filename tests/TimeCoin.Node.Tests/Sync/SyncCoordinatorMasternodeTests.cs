using System.Collections.Concurrent;
using NSubstitute;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Network.Peers;
using TimeCoin.Network.Protocol;
using TimeCoin.Sync;

namespace TimeCoin.Node.Tests.Sync;

/// <summary>
/// Masternodes are preferred for block downloads (after whitelisted peers). Which peers are masternodes is the
/// registry's word: the coordinator believed the flag a peer declares in its Version, so any peer could claim to be one
/// and be asked first (review, session 9).
/// </summary>
public sealed class SyncCoordinatorMasternodeTests
{
    private readonly ConcurrentQueue<(string PeerId, GetBlocksMessage Request)> _blockRequests = new();
    private int _headerRequests;

    private IPeer Peer(string id, Block tip, PublicKey key, bool declaresMasternode)
    {
        var peer = Substitute.For<IPeer>();
        peer.PeerId.Returns(id);
        peer.NodeId.Returns(key);
        peer.IsMasternode.Returns(declaresMasternode);
        peer.BestHeight.Returns(tip.Header.Height);
        peer.TipHash.Returns(tip.Hash);
        peer.SendAsync(Arg.Any<NetworkMessage>(), Arg.Any<CancellationToken>()).Returns(call =>
        {
            if (call.Arg<NetworkMessage>() is GetBlocksMessage request)
                _blockRequests.Enqueue((id, request));
            else if (call.Arg<NetworkMessage>() is GetHeadersMessage)
                Interlocked.Increment(ref _headerRequests);
            return ValueTask.FromResult(true);
        });
        return peer;
    }

    private static BlockLink Link(Block block) => new(block.Header.Height, block.Hash, block.Header.PreviousHash);

    /// <summary>Two peers with the same chain: "a" and "z" (which the ids alone would ask second); who gets the first block?</summary>
    private async Task<string> FirstBlockAskedOfAsync(bool registryKnowsZ)
    {
        using var aKey = KeyPair.Generate();
        using var zKey = KeyPair.Generate();
        await using var harness = new CoordinatorHarness(isKnownMasternode: key => registryKnowsZ && key == zKey.PublicKey);
        var blocks = harness.Chain.Build(harness.Chain.Parameters.GenesisHeader, 4);
        var a = Peer("a", blocks[3], aKey.PublicKey, declaresMasternode: false);
        var z = Peer("z", blocks[3], zKey.PublicKey, declaresMasternode: !registryKnowsZ); // declared, not known
        harness.Coordinator.Start();
        harness.Coordinator.OnPeerConnected(a);
        harness.Coordinator.OnPeerConnected(z);
        await Eventually.AssertAsync(() => Volatile.Read(ref _headerRequests) >= 1, () => "no peer was asked for headers");
        await harness.Coordinator.OnHeadersReceivedAsync(a, blocks.Select(Link).ToList());
        await harness.Coordinator.OnHeadersReceivedAsync(z, blocks.Select(Link).ToList());

        await Eventually.AssertAsync(() => _blockRequests.Any(r => r.Request.Hashes.Contains(blocks[0].Hash)), () => "the first block was not requested");
        return _blockRequests.First(r => r.Request.Hashes.Contains(blocks[0].Hash)).PeerId;
    }

    [Fact]
    public async Task BlockDownload_PeerOnlyDeclaresItselfAMasternode_NotPreferred()
    {
        Assert.Equal("a", await FirstBlockAskedOfAsync(registryKnowsZ: false));
    }

    [Fact]
    public async Task BlockDownload_PeerTheRegistryKnowsAsAMasternode_Preferred()
    {
        Assert.Equal("z", await FirstBlockAskedOfAsync(registryKnowsZ: true));
    }
}
