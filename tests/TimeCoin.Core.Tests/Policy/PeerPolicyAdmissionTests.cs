using TimeCoin.Core.Policy;
using static TimeCoin.Core.Tests.Policy.PolicyTestSupport;

namespace TimeCoin.Core.Tests.Policy;

public class PeerPolicyAdmissionTests
{
    private readonly Microsoft.Extensions.Time.Testing.FakeTimeProvider _clock = NewClock();

    private static ConnectedPeer Inbound(string id, string ip, int minutesAgo, bool masternode = false, PeerPermissions permissions = PeerPermissions.None) =>
        new(id, Ip(ip), true, Start - TimeSpan.FromMinutes(minutesAgo), masternode, permissions);

    private static ConnectedPeer Outbound(string id, string ip) => new(id, Ip(ip), false, Start, false, PeerPermissions.None);

    private PeerPolicy Policy(int maxInbound = 4, int reserved = 1, int perIp = 3) =>
        NewPolicy(_clock, new PeerPolicyOptions { MaxInbound = maxInbound, ReservedInboundSlots = reserved, MaxInboundPerIp = perIp });

    [Fact]
    public void EvaluateInbound_FreeSlot_Admits()
    {
        Assert.Equal(AdmissionDecision.Admit, Policy().EvaluateInbound(Ip("1.1.1.1"), [Inbound("a", "2.2.2.2", 5)]));
    }

    [Fact]
    public void EvaluateInbound_Banned_Rejects()
    {
        var policy = Policy();
        policy.Ban(Range("1.1.1.0/24"), null, "x", BanSource.Config);
        var decision = policy.EvaluateInbound(Ip("::ffff:1.1.1.1"), []);
        Assert.False(decision.IsAdmitted);
        Assert.Equal(AdmissionRejectReason.Banned, decision.RejectReason);
    }

    [Fact]
    public void EvaluateInbound_PerIpLimitReached_Rejects()
    {
        var policy = Policy(maxInbound: 10, perIp: 2);
        ConnectedPeer[] current = [Inbound("a", "1.1.1.1", 5), Inbound("b", "::ffff:1.1.1.1", 4)];
        Assert.Equal(AdmissionRejectReason.PerIpLimit, policy.EvaluateInbound(Ip("1.1.1.1"), current).RejectReason);
    }

    [Fact]
    public void EvaluateInbound_PerIpLimit_CountsInboundOnly()
    {
        var policy = Policy(maxInbound: 10, perIp: 1);
        Assert.True(policy.EvaluateInbound(Ip("1.1.1.1"), [Outbound("o", "1.1.1.1")]).IsAdmitted);
    }

    [Fact]
    public void EvaluateInbound_WhitelistedIpOverPerIpLimit_Admits()
    {
        var policy = Policy(maxInbound: 10, perIp: 1);
        policy.AddWhitelist(Range("1.1.1.1"), WhitelistSource.Discovery, "api");
        Assert.True(policy.EvaluateInbound(Ip("1.1.1.1"), [Inbound("a", "1.1.1.1", 5)]).IsAdmitted);
    }

    [Fact]
    public void EvaluateInbound_UnreservedSlotsFull_OrdinaryPeerEvictsYoungestUnprotected()
    {
        var policy = Policy(maxInbound: 4, reserved: 1);
        ConnectedPeer[] current = [Inbound("old", "2.0.0.1", 60), Inbound("young", "2.0.0.2", 1), Inbound("mid", "2.0.0.3", 30)];

        var decision = policy.EvaluateInbound(Ip("1.1.1.1"), current);

        Assert.Equal(AdmissionAction.AdmitEvicting, decision.Action);
        Assert.Equal("young", decision.EvictPeerId);
    }

    [Fact]
    public void EvaluateInbound_UnreservedSlotsFull_ReservedPeerUsesReservedSlot()
    {
        var policy = Policy(maxInbound: 4, reserved: 1);
        policy.AddWhitelist(Range("1.1.1.1"), WhitelistSource.Masternode, "mn");
        ConnectedPeer[] current = [Inbound("a", "2.0.0.1", 60), Inbound("b", "2.0.0.2", 1), Inbound("c", "2.0.0.3", 30)];

        Assert.Equal(AdmissionDecision.Admit, policy.EvaluateInbound(Ip("1.1.1.1"), current));
    }

    [Fact]
    public void EvaluateInbound_ReservedPeersConnected_DoNotUseUpOrdinarySlots()
    {
        var policy = Policy(maxInbound: 4, reserved: 2);
        ConnectedPeer[] current = [Inbound("mn1", "3.0.0.1", 5, permissions: PeerPermissions.ReservedSlot), Inbound("a", "2.0.0.1", 5)];
        Assert.Equal(AdmissionDecision.Admit, policy.EvaluateInbound(Ip("1.1.1.1"), current));
    }

    [Fact]
    public void EvaluateInbound_AllSlotsFull_ReservedPeerEvictsYoungestUnprotected()
    {
        var policy = Policy(maxInbound: 3, reserved: 1);
        policy.AddWhitelist(Range("1.1.1.1"), WhitelistSource.Config, "cfg");
        ConnectedPeer[] current =
        [
            Inbound("mn", "3.0.0.1", 0, masternode: true),
            Inbound("old", "2.0.0.1", 60),
            Inbound("young", "2.0.0.2", 10),
        ];

        var decision = policy.EvaluateInbound(Ip("1.1.1.1"), current);

        Assert.Equal("young", decision.EvictPeerId);
    }

    [Fact]
    public void EvaluateInbound_Eviction_NeverPicksWhitelistedOrMasternode()
    {
        var policy = Policy(maxInbound: 4, reserved: 0);
        policy.AddWhitelist(Range("2.0.0.0/24"), WhitelistSource.Discovery, "api");
        ConnectedPeer[] current =
        [
            Inbound("whitelisted-now", "2.0.0.9", 0),
            Inbound("masternode", "3.0.0.1", 1, masternode: true),
            Inbound("permissioned", "4.0.0.1", 2, permissions: PeerPermissions.PrioritySync),
            Inbound("plain", "5.0.0.1", 500),
        ];

        Assert.Equal("plain", policy.EvaluateInbound(Ip("1.1.1.1"), current).EvictPeerId);
    }

    [Fact]
    public void EvaluateInbound_FullOfProtectedPeers_RejectsFull()
    {
        var policy = Policy(maxInbound: 2, reserved: 0);
        ConnectedPeer[] current = [Inbound("mn", "3.0.0.1", 1, masternode: true), Inbound("w", "4.0.0.1", 2, permissions: PeerPermissions.NoBan)];
        Assert.Equal(AdmissionRejectReason.Full, policy.EvaluateInbound(Ip("1.1.1.1"), current).RejectReason);
    }

    [Fact]
    public void EvaluateInbound_OutboundPeers_NeverCountedOrEvicted()
    {
        var policy = Policy(maxInbound: 1, reserved: 0);
        ConnectedPeer[] current = [Outbound("o1", "2.0.0.1"), Outbound("o2", "2.0.0.2"), Inbound("in", "3.0.0.1", 5)];
        Assert.Equal("in", policy.EvaluateInbound(Ip("1.1.1.1"), current).EvictPeerId);
    }

    [Fact]
    public void EvaluateInbound_SameConnectTime_EvictsByPeerIdDeterministically()
    {
        var policy = Policy(maxInbound: 2, reserved: 0);
        ConnectedPeer[] current = [Inbound("b", "2.0.0.2", 5), Inbound("a", "2.0.0.1", 5)];
        Assert.Equal("a", policy.EvaluateInbound(Ip("1.1.1.1"), current).EvictPeerId);
    }

    [Fact]
    public void EvaluateInbound_DefaultOptions_Admit117ThenEvict()
    {
        var policy = NewPolicy(_clock);
        var ordinary = Enumerable.Range(0, 117 - 32).Select(i => Inbound($"p{i}", $"2.0.{i / 200}.{i % 200 + 1}", 1000 - i)).ToList();

        var decision = policy.EvaluateInbound(Ip("1.1.1.1"), ordinary);

        Assert.Equal(AdmissionAction.AdmitEvicting, decision.Action);
        Assert.Equal($"p{117 - 32 - 1}", decision.EvictPeerId);
        Assert.Equal(AdmissionDecision.Admit, policy.EvaluateInbound(Ip("1.1.1.1"), ordinary.Take(84).ToList()));
    }
}
