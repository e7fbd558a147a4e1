using Microsoft.Extensions.Time.Testing;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Masternodes;

namespace TimeCoin.Core.Tests.Masternodes;

public sealed class HeartbeatRegistryTests : IDisposable
{
    private const string Network = "testnet";
    private const string Address = "10.0.0.1:24100";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly KeyPair _keys = KeyPair.Generate();
    private readonly KeyPair _otherKeys = KeyPair.Generate();
    private readonly HeartbeatRegistry _registry;
    private readonly List<(string Kind, MasternodeEventArgs Args)> _events = new();

    public HeartbeatRegistryTests()
    {
        _registry = NewRegistry(HeartbeatOptions.Default);
    }

    public void Dispose()
    {
        _keys.Dispose();
        _otherKeys.Dispose();
    }

    private HeartbeatRegistry NewRegistry(HeartbeatOptions options)
    {
        var registry = new HeartbeatRegistry(options, _time, Network);
        registry.MasternodeAdded += (_, e) => _events.Add(("added", e));
        registry.MasternodeRemoved += (_, e) => _events.Add(("removed", e));
        registry.MasternodeStatusChanged += (_, e) => _events.Add(("status", e));
        registry.MasternodeAddressChanged += (_, e) => _events.Add(("address", e));
        return registry;
    }

    private void Advance(double seconds) => _time.Advance(TimeSpan.FromSeconds(seconds));

    private MasternodeAnnouncement Announcement(KeyPair keys, string address = Address, MasternodeTier tier = MasternodeTier.Bronze, double skewSeconds = 0) =>
        MasternodeAnnouncement.Create(keys, Network, address, tier, _time.GetUtcNow().AddSeconds(skewSeconds));

    private Heartbeat Beat(KeyPair keys, ulong sequence, ulong height = 100, double skewSeconds = 0, string network = Network, string address = Address) =>
        Heartbeat.Create(keys, network, address, sequence, _time.GetUtcNow().AddSeconds(skewSeconds), height);

    private void Announce(KeyPair keys) => Assert.True(_registry.Accept(Announcement(keys)).Accepted);

    [Fact]
    public void AcceptListed_AnnouncementFourMinutesOld_AcceptedButHeardFromAtItsSignedTime()
    {
        var listed = Announcement(_keys, skewSeconds: -240);
        Assert.Equal(MasternodeRejection.TimestampOutOfRange, _registry.Accept(listed).Rejection); // fresh gossip: 120 s

        Assert.True(_registry.AcceptListed(listed).Accepted);

        // Heard from 240 s ago: offline once that is 300 s old, unless a heartbeat comes.
        Advance(59);
        _registry.Evaluate();
        Assert.Equal(MasternodeStatus.Active, _registry.Find(_keys.PublicKey)!.Status);
        Advance(2);
        _registry.Evaluate();
        Assert.Equal(MasternodeStatus.Offline, _registry.Find(_keys.PublicKey)!.Status);
        Assert.True(_registry.Accept(Beat(_keys, 1)).Accepted); // known: its heartbeats count
        Assert.Equal(MasternodeStatus.Active, _registry.Find(_keys.PublicKey)!.Status);
    }

    /// <summary>
    /// A list entry signed 300-420 s ago: heard from longer ago than the offline limit, so a masternode first learned
    /// from it is offline from the moment it is added (it was shown Active until the next evaluation, up to 30 s).
    /// </summary>
    [Fact]
    public void AcceptListed_NewMasternodeSignedLongerAgoThanTheOfflineLimit_AddedOffline()
    {
        var listed = Announcement(_keys, skewSeconds: -360);

        Assert.True(_registry.AcceptListed(listed).Accepted);

        var record = _registry.Find(_keys.PublicKey)!;
        Assert.Equal(MasternodeStatus.Offline, record.Status);
        Assert.Equal(_time.GetUtcNow().AddSeconds(-360), record.LastSeen);
        Assert.Equal(_time.GetUtcNow(), record.StatusSince); // the offline hour starts when it is observed, as in Evaluate
        Assert.Empty(_registry.ActiveMasternodes);
        var added = Assert.Single(_events);
        Assert.Equal(("added", MasternodeStatus.Offline), (added.Kind, added.Args.Status));

        _registry.Evaluate(); // nothing left to change
        Assert.Single(_events);
        Assert.True(_registry.Accept(Beat(_keys, 1)).Accepted); // a heartbeat brings it back
        Assert.Equal(MasternodeStatus.Active, _registry.Find(_keys.PublicKey)!.Status);
        Assert.Equal(("status", MasternodeStatus.Active), (_events[^1].Kind, _events[^1].Args.Status));
    }

    [Fact]
    public void AcceptListed_NewMasternodeSignedExactlyAtTheOfflineLimit_AddedActive()
    {
        Assert.True(_registry.AcceptListed(Announcement(_keys, skewSeconds: -300)).Accepted);

        Assert.Equal(MasternodeStatus.Active, _registry.Find(_keys.PublicKey)!.Status); // offline only after more than 300 s, as Evaluate
    }

    [Fact]
    public void AcceptListed_AnnouncementOlderThanOfflinePlusSkew_Refused()
    {
        Assert.Equal(TimeSpan.FromSeconds(420), HeartbeatOptions.Default.MaxListedAnnouncementAge);

        var result = _registry.AcceptListed(Announcement(_keys, skewSeconds: -421));

        Assert.Equal(MasternodeRejection.TimestampOutOfRange, result.Rejection);
        Assert.Contains("in the past (max 420 s)", result.Message);
        Assert.Equal(MasternodeRejection.TimestampOutOfRange, _registry.AcceptListed(Announcement(_keys, skewSeconds: 121)).Rejection);
    }

    [Fact]
    public void Accept_RegistriesSharingASignatureCache_EachSignatureVerifiedOnce()
    {
        var cache = new TimeCoin.Core.Chain.SignatureCache();
        var first = new HeartbeatRegistry(HeartbeatOptions.Default, _time, Network, cache);
        var second = new HeartbeatRegistry(HeartbeatOptions.Default, _time, Network, cache);
        var announcement = Announcement(_keys);
        var beat = Beat(_keys, 1);

        foreach (var registry in new[] { first, second })
        {
            Assert.True(registry.Accept(announcement).Accepted);
            Assert.True(registry.Accept(beat).Accepted);
        }

        Assert.Equal(2, cache.Verifications);
        Assert.Equal(2, cache.Hits);
    }

    /// <summary>
    /// A replayed list entry (not newer than the accepted announcement) is refused before its signature is verified:
    /// replaying a list of 2,000 entries cost 2,000 Ed25519 verifications, and its entries were never remembered as seen.
    /// </summary>
    [Fact]
    public void AcceptListed_EntryNotNewer_RefusedWithoutVerifyingTheSignature()
    {
        var cache = new TimeCoin.Core.Chain.SignatureCache();
        var registry = new HeartbeatRegistry(HeartbeatOptions.Default, _time, Network, cache);
        var announcement = Announcement(_keys);
        Assert.True(registry.Accept(announcement).Accepted);
        var forgedReplay = new MasternodeAnnouncement(Network, _keys.PublicKey, "10.0.0.9:24200", announcement.Tier, announcement.Timestamp,
            _otherKeys.Sign(announcement.GetSigningBytes()));

        Assert.Equal(MasternodeRejection.AnnouncementNotNewer, registry.AcceptListed(announcement).Rejection);
        Assert.Equal(MasternodeRejection.AnnouncementNotNewer, registry.AcceptListed(forgedReplay).Rejection);
        Assert.Equal(1, cache.Verifications);
    }

    [Fact]
    public void Accept_ForgedHeartbeatWithACachedValidOne_RejectedAsBadSignature()
    {
        var cache = new TimeCoin.Core.Chain.SignatureCache();
        var first = new HeartbeatRegistry(HeartbeatOptions.Default, _time, Network, cache);
        var second = new HeartbeatRegistry(HeartbeatOptions.Default, _time, Network, cache);
        var announcement = Announcement(_keys);
        var beat = Beat(_keys, 1);
        Assert.True(first.Accept(announcement).Accepted);
        Assert.True(first.Accept(beat).Accepted);
        Assert.True(second.Accept(announcement).Accepted);
        var forged = new Heartbeat(beat.Network, beat.MasternodeKey, beat.Address, beat.Sequence, beat.Timestamp, beat.ChainHeight + 1, beat.Signature.ToArray());

        var result = second.Accept(forged);

        Assert.False(result.Accepted);
        Assert.Equal(MasternodeRejection.BadSignature, result.Rejection);
    }

    [Fact]
    public void Accept_ValidAnnouncement_AddsActiveMasternodeAndRaisesAdded()
    {
        var result = _registry.Accept(Announcement(_keys, tier: MasternodeTier.Gold));

        Assert.True(result.Accepted, result.Message);
        var record = Assert.Single(_registry.ActiveMasternodes);
        Assert.Equal(_keys.PublicKey, record.Key);
        Assert.Equal(Address, record.Address);
        Assert.Equal(MasternodeTier.Gold, record.Tier);
        Assert.Equal(_time.GetUtcNow(), record.FirstSeen);
        var added = Assert.Single(_events);
        Assert.Equal("added", added.Kind);
        Assert.Equal(_keys.PublicKey, added.Args.Key);
        Assert.Equal(Address, added.Args.Address);
    }

    [Fact]
    public void Accept_ValidHeartbeat_AcceptedAndRecorded()
    {
        Announce(_keys);
        Advance(60);

        var result = _registry.Accept(Beat(_keys, sequence: 1, height: 4805));

        Assert.True(result.Accepted, result.Message);
        var record = _registry.Find(_keys.PublicKey)!;
        Assert.Equal(1UL, record.LastSequence);
        Assert.Equal(4805UL, record.LastReportedHeight);
        Assert.Equal(_time.GetUtcNow(), record.LastHeartbeat);
        Assert.Equal(MasternodeStatus.Active, record.Status);
    }

    [Fact]
    public void Accept_HeartbeatSignedByAnotherKey_RejectedAsForgery()
    {
        Announce(_keys);
        var genuine = Beat(_keys, 1);
        var forged = new Heartbeat(Network, _keys.PublicKey, Address, 1, genuine.Timestamp, 100, _otherKeys.Sign(genuine.GetSigningBytes()));

        var result = _registry.Accept(forged);

        Assert.Equal(MasternodeRejection.BadSignature, result.Rejection);
        Assert.Contains("forged", result.Message);
        Assert.Null(_registry.Find(_keys.PublicKey)!.LastSequence);
    }

    [Fact]
    public void Accept_HeartbeatWithTamperedHeight_RejectedAsForgery()
    {
        Announce(_keys);
        var genuine = Beat(_keys, 1, height: 100);
        var tampered = new Heartbeat(Network, _keys.PublicKey, Address, 1, genuine.Timestamp, 999_999, genuine.Signature.Span);

        Assert.Equal(MasternodeRejection.BadSignature, _registry.Accept(tampered).Rejection);
        Assert.Null(_registry.Find(_keys.PublicKey)!.LastReportedHeight);
    }

    [Fact]
    public void Accept_AnnouncementSignedByAnotherKey_RejectedAndNotAdded()
    {
        var genuine = Announcement(_keys);
        var forged = new MasternodeAnnouncement(Network, _keys.PublicKey, Address, MasternodeTier.Gold, genuine.Timestamp,
            _otherKeys.Sign(genuine.GetSigningBytes()));

        Assert.Equal(MasternodeRejection.BadSignature, _registry.Accept(forged).Rejection);
        Assert.Equal(0, _registry.Count);
        Assert.Empty(_events);
    }

    [Fact]
    public void Accept_SameHeartbeatTwice_SecondRejectedAsReplay()
    {
        Announce(_keys);
        var heartbeat = Beat(_keys, 5);
        Assert.True(_registry.Accept(heartbeat).Accepted);
        Advance(30);

        var result = _registry.Accept(heartbeat);

        Assert.Equal(MasternodeRejection.SequenceNotIncreasing, result.Rejection);
        Assert.Contains("replay", result.Message);
    }

    [Fact]
    public void Accept_OlderSequenceAfterNewer_Rejected()
    {
        Announce(_keys);
        var older = Beat(_keys, 5);
        Assert.True(_registry.Accept(Beat(_keys, 6)).Accepted);

        Assert.Equal(MasternodeRejection.SequenceNotIncreasing, _registry.Accept(older).Rejection);
        Assert.Equal(6UL, _registry.Find(_keys.PublicKey)!.LastSequence);
    }

    [Fact]
    public void Accept_HeartbeatForOtherNetwork_RejectedAsWrongNetwork()
    {
        Announce(_keys);

        var result = _registry.Accept(Beat(_keys, 1, network: "mainnet"));

        Assert.Equal(MasternodeRejection.WrongNetwork, result.Rejection);
        Assert.Contains("'mainnet'", result.Message);
    }

    [Fact]
    public void Accept_AnnouncementForOtherNetwork_Rejected()
    {
        var other = MasternodeAnnouncement.Create(_keys, "mainnet", Address, MasternodeTier.Free, _time.GetUtcNow());
        Assert.Equal(MasternodeRejection.WrongNetwork, _registry.Accept(other).Rejection);
    }

    [Theory]
    [InlineData(121, "future")]
    [InlineData(-121, "past")]
    public void Accept_HeartbeatTimestampBeyondSkew_RejectedNamingTheDirection(double skew, string direction)
    {
        Announce(_keys);

        var result = _registry.Accept(Beat(_keys, 1, skewSeconds: skew));

        Assert.Equal(MasternodeRejection.TimestampOutOfRange, result.Rejection);
        Assert.Contains(direction, result.Message);
    }

    [Theory]
    [InlineData(120)]
    [InlineData(-120)]
    public void Accept_HeartbeatTimestampAtSkewBound_Accepted(double skew)
    {
        Announce(_keys);
        Assert.True(_registry.Accept(Beat(_keys, 1, skewSeconds: skew)).Accepted);
    }

    [Theory]
    [InlineData(121)]
    [InlineData(-121)]
    public void Accept_AnnouncementTimestampBeyondSkew_Rejected(double skew)
    {
        Assert.Equal(MasternodeRejection.TimestampOutOfRange, _registry.Accept(Announcement(_keys, skewSeconds: skew)).Rejection);
        Assert.Equal(0, _registry.Count);
    }

    [Fact]
    public void Accept_HeartbeatFromUnannouncedKey_RejectedAsUnknown()
    {
        var result = _registry.Accept(Beat(_keys, 1));
        Assert.Equal(MasternodeRejection.UnknownMasternode, result.Rejection);
        Assert.Equal(0, _registry.Count);
    }

    [Fact]
    public void Accept_SameAnnouncementTwice_SecondRejectedAsNotNewer()
    {
        var announcement = Announcement(_keys);
        Assert.True(_registry.Accept(announcement).Accepted);
        Assert.Equal(MasternodeRejection.AnnouncementNotNewer, _registry.Accept(announcement).Rejection);
        Assert.Single(_events);
    }

    [Fact]
    public void Accept_NewerAnnouncement_UpdatesTierAndAddressAndRaisesAddressChanged()
    {
        Announce(_keys);
        Advance(10);

        Assert.True(_registry.Accept(Announcement(_keys, "10.0.0.9:24100", MasternodeTier.Silver)).Accepted);

        var record = _registry.Find(_keys.PublicKey)!;
        Assert.Equal(MasternodeTier.Silver, record.Tier);
        Assert.Equal("10.0.0.9:24100", record.Address);
        var moved = _events.Single(e => e.Kind == "address").Args;
        Assert.Equal(Address, moved.PreviousAddress);
        Assert.Equal("10.0.0.9:24100", moved.Address);
    }

    [Fact]
    public void Accept_HeartbeatFromNewAddress_UpdatesAddressAndRaisesAddressChanged()
    {
        Announce(_keys);

        Assert.True(_registry.Accept(Beat(_keys, 1, address: "[2001:db8::7]:24100")).Accepted);

        Assert.Equal("[2001:db8::7]:24100", _registry.Find(_keys.PublicKey)!.Address);
        Assert.Contains(_events, e => e.Kind == "address" && e.Args.PreviousAddress == Address);
    }

    /// <summary>
    /// A masternode (anyone's made-up one) flipping its address at the message rate made every flip an address change:
    /// a whitelist entry dropped and added, the dialer woken, an audit row. One change per interval is taken.
    /// </summary>
    [Fact]
    public void Accept_AddressFlipsWithinTheInterval_OnlyTheFirstChangeTaken()
    {
        Announce(_keys);
        Assert.True(_registry.Accept(Beat(_keys, 1, address: "10.0.0.9:24100")).Accepted);
        Advance(60);

        Assert.True(_registry.Accept(Beat(_keys, 2, address: Address)).Accepted);
        Assert.True(_registry.Accept(Announcement(_keys, Address)).Accepted);

        Assert.Equal("10.0.0.9:24100", _registry.Find(_keys.PublicKey)!.Address);
        Assert.Equal(2UL, _registry.Find(_keys.PublicKey)!.LastSequence);
        Assert.Single(_events, e => e.Kind == "address");
        Advance(HeartbeatOptions.Default.MinAddressChangeInterval.TotalSeconds);
        Assert.True(_registry.Accept(Beat(_keys, 3, address: Address)).Accepted);
        Assert.Equal(Address, _registry.Find(_keys.PublicKey)!.Address);
        Assert.Equal(2, _events.Count(e => e.Kind == "address"));
    }

    [Fact]
    public void Evaluate_SilentForExactlyTheOfflineThreshold_StillActive()
    {
        Announce(_keys);
        Assert.True(_registry.Accept(Beat(_keys, 1)).Accepted);
        Advance(300);

        _registry.Evaluate();

        Assert.Equal(MasternodeStatus.Active, _registry.Find(_keys.PublicKey)!.Status);
        Assert.Single(_registry.ActiveMasternodes);
    }

    [Fact]
    public void Evaluate_SilentPastTheOfflineThreshold_OfflineWithStatusEvent()
    {
        Announce(_keys);
        Assert.True(_registry.Accept(Beat(_keys, 1)).Accepted);
        Advance(301);

        _registry.Evaluate();

        var record = _registry.Find(_keys.PublicKey)!;
        Assert.Equal(MasternodeStatus.Offline, record.Status);
        Assert.Equal(TimeSpan.Zero, record.Uptime);
        Assert.Empty(_registry.ActiveMasternodes);
        var changed = _events.Single(e => e.Kind == "status").Args;
        Assert.Equal(MasternodeStatus.Offline, changed.Status);
        Assert.Equal(MasternodeStatus.Active, changed.PreviousStatus);
        Assert.Equal(Address, changed.Address);
    }

    [Fact]
    public void Evaluate_HeartbeatsEveryMinuteForADay_StaysActiveWithFullUptime()
    {
        Announce(_keys);
        for (ulong sequence = 1; sequence <= 24 * 60; sequence++)
        {
            Advance(60);
            Assert.True(_registry.Accept(Beat(_keys, sequence)).Accepted);
            _registry.Evaluate();
        }

        var record = _registry.Find(_keys.PublicKey)!;
        Assert.Equal(MasternodeStatus.Active, record.Status);
        Assert.Equal(TimeSpan.FromDays(1), record.Uptime);
        Assert.DoesNotContain(_events, e => e.Kind == "status");
    }

    [Fact]
    public void Evaluate_OfflineForAnHour_NotRemovedUntilPastTheHour()
    {
        Announce(_keys);
        Advance(301);
        _registry.Evaluate();
        Advance(3600);

        _registry.Evaluate();

        Assert.NotNull(_registry.Find(_keys.PublicKey));
        Assert.DoesNotContain(_events, e => e.Kind == "removed");
    }

    [Fact]
    public void Evaluate_OfflinePastAnHour_RemovedWithEventCarryingKeyAndAddress()
    {
        Announce(_keys);
        Advance(301);
        _registry.Evaluate();
        Advance(3601);

        _registry.Evaluate();

        Assert.Null(_registry.Find(_keys.PublicKey));
        Assert.Equal(0, _registry.Count);
        var removed = _events.Single(e => e.Kind == "removed").Args;
        Assert.Equal(_keys.PublicKey, removed.Key);
        Assert.Equal(Address, removed.Address);
    }

    [Fact]
    public void Accept_RemovedMasternodeHeartbeat_RejectedUntilAnnouncedAgain()
    {
        Announce(_keys);
        Advance(301);
        _registry.Evaluate();
        Advance(3601);
        _registry.Evaluate();

        Assert.Equal(MasternodeRejection.UnknownMasternode, _registry.Accept(Beat(_keys, 1)).Rejection);
        Announce(_keys);
        Assert.True(_registry.Accept(Beat(_keys, 1)).Accepted);
    }

    [Fact]
    public void Accept_HeartbeatWhileOffline_BackToActiveWithStatusEventAndFreshUptime()
    {
        Announce(_keys);
        Advance(301);
        _registry.Evaluate();
        Advance(600);

        Assert.True(_registry.Accept(Beat(_keys, 1)).Accepted);
        Advance(60);

        var record = _registry.Find(_keys.PublicKey)!;
        Assert.Equal(MasternodeStatus.Active, record.Status);
        Assert.Equal(TimeSpan.FromSeconds(60), record.Uptime);
        var back = _events.Last(e => e.Kind == "status").Args;
        Assert.Equal(MasternodeStatus.Active, back.Status);
        Assert.Equal(MasternodeStatus.Offline, back.PreviousStatus);
    }

    [Fact]
    public void ActiveMasternodes_DifferentArrivalOrder_SameCanonicalList()
    {
        var keys = Enumerable.Range(0, 12).Select(_ => KeyPair.Generate()).ToList();
        try
        {
            var announcements = keys.Select(k => Announcement(k)).ToList();
            var heartbeats = keys.Select(k => Beat(k, 1)).ToList();
            var first = new HeartbeatRegistry(HeartbeatOptions.Default, _time, Network);
            var second = new HeartbeatRegistry(HeartbeatOptions.Default, _time, Network);
            foreach (var a in announcements)
                first.Accept(a);
            foreach (var h in heartbeats)
                first.Accept(h);
            var shuffle = new Random(7);
            foreach (int i in Enumerable.Range(0, keys.Count).OrderBy(_ => shuffle.Next()))
            {
                second.Accept(announcements[i]);
                second.Accept(heartbeats[i]);
            }

            var firstKeys = first.ActiveMasternodes.Select(r => r.Key.ToString()).ToList();
            var secondKeys = second.ActiveMasternodes.Select(r => r.Key.ToString()).ToList();

            Assert.Equal(12, firstKeys.Count);
            Assert.Equal(firstKeys, secondKeys);
            Assert.Equal(keys.Select(k => k.PublicKey).Order().Select(k => k.ToString()), firstKeys);
        }
        finally
        {
            keys.ForEach(k => k.Dispose());
        }
    }

    [Fact]
    public void Snapshot_RestoredIntoNewRegistry_KeepsRecordsAndReplayProtection()
    {
        Announce(_keys);
        Announce(_otherKeys);
        var beat = Beat(_keys, 42, height: 3190);
        Assert.True(_registry.Accept(beat).Accepted);
        var snapshot = _registry.Snapshot();
        _events.Clear();

        var restored = NewRegistry(HeartbeatOptions.Default);
        restored.Restore(snapshot);

        Assert.Equal(snapshot, restored.Snapshot());
        Assert.Equal(2, _events.Count(e => e.Kind == "added"));
        Assert.Equal(MasternodeRejection.SequenceNotIncreasing, restored.Accept(beat).Rejection);
        Assert.Equal(3190UL, restored.Find(_keys.PublicKey)!.LastReportedHeight);
    }

    [Fact]
    public void Restore_OverExistingRecords_RaisesRemovedForDroppedOnes()
    {
        Announce(_keys);
        var onlyOther = NewRegistry(HeartbeatOptions.Default);
        Assert.True(onlyOther.Accept(Announcement(_otherKeys)).Accepted);
        _events.Clear();

        _registry.Restore(onlyOther.Snapshot());

        Assert.Null(_registry.Find(_keys.PublicKey));
        Assert.NotNull(_registry.Find(_otherKeys.PublicKey));
        Assert.Contains(_events, e => e.Kind == "removed" && e.Args.Key == _keys.PublicKey);
    }

    [Fact]
    public void Restore_DuplicateKey_ThrowsAndChangesNothing()
    {
        Announce(_keys);
        var record = _registry.Snapshot()[0];

        var error = Assert.Throws<ArgumentException>(() => _registry.Restore([record, record]));

        Assert.Contains("twice", error.Message);
        Assert.Equal(1, _registry.Count);
    }

    [Fact]
    public void Accept_RegistryFull_RejectsNewMasternodeButNotKnownOnes()
    {
        var registry = NewRegistry(HeartbeatOptions.Default with { MaxMasternodes = 1 });
        Assert.True(registry.Accept(Announcement(_keys)).Accepted);

        Assert.Equal(MasternodeRejection.RegistryFull, registry.Accept(Announcement(_otherKeys)).Rejection);
        Assert.True(registry.Accept(Beat(_keys, 1)).Accepted);
    }

    /// <summary>
    /// Anyone can sign an announcement for a made-up masternode, so a flood of them filled the registry and every
    /// genuinely new masternode was refused for the hour the made-up ones sat offline. Now a new one pushes out the
    /// entry offline the longest, with the same Removed event as a normal removal.
    /// </summary>
    [Fact]
    public void Accept_RegistryFullOfOfflineEntries_NewMasternodePushesOutTheLongestOffline()
    {
        var registry = NewRegistry(HeartbeatOptions.Default with { MaxMasternodes = 3 });
        using var first = KeyPair.Generate();
        using var second = KeyPair.Generate();
        using var third = KeyPair.Generate();
        Assert.True(registry.Accept(Announcement(first)).Accepted);
        Advance(10);
        Assert.True(registry.Accept(Announcement(second)).Accepted);
        Assert.True(registry.Accept(Announcement(third)).Accepted);
        Advance(291);
        registry.Evaluate(); // first offline (301 s since heard from); second and third not yet (291 s)
        Advance(30);
        registry.Evaluate(); // second and third offline, 30 s after first
        Assert.All(registry.GetAll(), r => Assert.Equal(MasternodeStatus.Offline, r.Status));
        // Second comes back and goes offline again later: offline order first, third, second.
        Assert.True(registry.Accept(Beat(second, 1)).Accepted);
        Advance(301);
        registry.Evaluate();
        Assert.Equal(MasternodeStatus.Offline, registry.Find(second.PublicKey)!.Status);
        Assert.True(registry.Find(first.PublicKey)!.StatusSince < registry.Find(third.PublicKey)!.StatusSince);
        Assert.True(registry.Find(third.PublicKey)!.StatusSince < registry.Find(second.PublicKey)!.StatusSince);
        _events.Clear();

        var result = registry.Accept(Announcement(_keys));

        Assert.True(result.Accepted, result.Message);
        Assert.Equal(3, registry.Count);
        Assert.Null(registry.Find(first.PublicKey));
        Assert.NotNull(registry.Find(second.PublicKey));
        Assert.NotNull(registry.Find(third.PublicKey));
        Assert.Equal(MasternodeStatus.Active, registry.Find(_keys.PublicKey)!.Status);
        Assert.Equal(["removed", "added"], _events.Select(e => e.Kind));
        Assert.Equal(first.PublicKey, _events[0].Args.Key);
        Assert.Equal(_keys.PublicKey, _events[1].Args.Key);

        // The next new one pushes out the next longest offline: third (offline before second's second time).
        _events.Clear();
        Assert.True(registry.Accept(Announcement(_otherKeys)).Accepted);
        Assert.Null(registry.Find(third.PublicKey));
        Assert.NotNull(registry.Find(second.PublicKey));
        Assert.Equal(3, registry.Count);
    }

    [Fact]
    public void Accept_RegistryFullOfOfflineEntries_NeverHeartbeatEntryPushedOutBeforeALongerOfflineMasternodeThatBeat()
    {
        // A made-up masternode (announced, never a heartbeat) goes before a real one that has been away longer: a
        // flood of announcements must not push out real masternodes that are only down for a while.
        var registry = NewRegistry(HeartbeatOptions.Default with { MaxMasternodes = 2 });
        using var real = KeyPair.Generate();
        using var madeUp = KeyPair.Generate();
        Assert.True(registry.Accept(Announcement(real)).Accepted);
        Assert.True(registry.Accept(Beat(real, 1)).Accepted);
        Advance(60);
        Assert.True(registry.Accept(Announcement(madeUp)).Accepted);
        Advance(241);
        registry.Evaluate(); // real offline (301 s since its heartbeat), made-up not yet (241 s)
        Advance(60);
        registry.Evaluate(); // made-up offline, 60 s after real
        Assert.All(registry.GetAll(), r => Assert.Equal(MasternodeStatus.Offline, r.Status));
        Assert.True(registry.Find(real.PublicKey)!.StatusSince < registry.Find(madeUp.PublicKey)!.StatusSince);

        var result = registry.Accept(Announcement(_keys));

        Assert.True(result.Accepted, result.Message);
        Assert.Null(registry.Find(madeUp.PublicKey));
        Assert.NotNull(registry.Find(real.PublicKey));
    }

    [Fact]
    public void Accept_RegistryFullOfActiveEntries_StillRejectsNewMasternode()
    {
        var registry = NewRegistry(HeartbeatOptions.Default with { MaxMasternodes = 2 });
        using var first = KeyPair.Generate();
        using var second = KeyPair.Generate();
        Assert.True(registry.Accept(Announcement(first)).Accepted);
        Assert.True(registry.Accept(Announcement(second)).Accepted);
        Advance(290);
        registry.Evaluate();
        _events.Clear();

        Assert.Equal(MasternodeRejection.RegistryFull, registry.Accept(Announcement(_keys)).Rejection);
        Assert.Equal(2, registry.Count);
        Assert.Empty(_events);

        // One of them gone offline and then back: nothing to push out either.
        Advance(20);
        registry.Evaluate();
        Assert.True(registry.Accept(Beat(first, 1)).Accepted);
        Assert.True(registry.Accept(Beat(second, 1)).Accepted);
        Assert.Equal(MasternodeRejection.RegistryFull, registry.Accept(Announcement(_keys)).Rejection);
    }

    /// <summary>A masternode already forgotten by <see cref="HeartbeatRegistry.Evaluate"/> is no candidate any more:
    /// a full registry of active ones still refuses.</summary>
    [Fact]
    public void Accept_RegistryFullAfterAnOfflineEntryWasRemoved_StillRejects()
    {
        var registry = NewRegistry(HeartbeatOptions.Default with { MaxMasternodes = 2 });
        using var gone = KeyPair.Generate();
        Assert.True(registry.Accept(Announcement(gone)).Accepted);
        Advance(301);
        registry.Evaluate();
        Advance(3601);
        registry.Evaluate();
        Assert.Equal(0, registry.Count);
        Assert.True(registry.Accept(Announcement(_keys)).Accepted);
        Assert.True(registry.Accept(Announcement(_otherKeys)).Accepted);
        using var third = KeyPair.Generate();

        Assert.Equal(MasternodeRejection.RegistryFull, registry.Accept(Announcement(third)).Rejection);
        Assert.Equal(2, registry.Count);
    }

    /// <summary>An entry restored offline is a candidate too, and one that comes back from a restore is not.</summary>
    [Fact]
    public void Accept_RegistryFullAfterRestore_PushesOutOnlyRestoredOfflineEntries()
    {
        var registry = NewRegistry(HeartbeatOptions.Default with { MaxMasternodes = 2 });
        using var first = KeyPair.Generate();
        using var second = KeyPair.Generate();
        Assert.True(registry.Accept(Announcement(first)).Accepted);
        Assert.True(registry.Accept(Announcement(second)).Accepted);
        Advance(301);
        registry.Evaluate();
        Assert.True(registry.Accept(Beat(second, 1)).Accepted);
        var snapshot = registry.Snapshot();

        var restored = NewRegistry(HeartbeatOptions.Default with { MaxMasternodes = 2 });
        restored.Restore(snapshot);

        Assert.True(restored.Accept(Announcement(_keys)).Accepted);
        Assert.Null(restored.Find(first.PublicKey));
        Assert.Equal(MasternodeRejection.RegistryFull, restored.Accept(Announcement(_otherKeys)).Rejection);
    }

    [Fact]
    public void Evaluate_CustomOptions_OfflineAfterIntervalTimesMissed()
    {
        var options = HeartbeatOptions.Default with { HeartbeatInterval = TimeSpan.FromSeconds(10), MissedHeartbeatsBeforeOffline = 3 };
        var registry = NewRegistry(options);
        Assert.True(registry.Accept(Announcement(_keys)).Accepted);
        Advance(30);
        registry.Evaluate();
        Assert.Equal(MasternodeStatus.Active, registry.Find(_keys.PublicKey)!.Status);
        Advance(1);
        registry.Evaluate();
        Assert.Equal(MasternodeStatus.Offline, registry.Find(_keys.PublicKey)!.Status);
    }

    [Fact]
    public void Ctor_InvalidOptions_ThrowsNamingEachSetting()
    {
        var options = HeartbeatOptions.Default with { HeartbeatInterval = TimeSpan.Zero, MaxClockSkew = TimeSpan.Zero };
        var error = Assert.Throws<ArgumentException>(() => new HeartbeatRegistry(options, _time, Network));
        Assert.Contains(nameof(HeartbeatOptions.HeartbeatInterval), error.Message);
        Assert.Contains(nameof(HeartbeatOptions.MaxClockSkew), error.Message);
    }

    [Fact]
    public void Accept_EventHandlerReadsRegistry_DoesNotDeadlockAndSeesTheChange()
    {
        int seen = -1;
        _registry.MasternodeAdded += (_, e) => seen = _registry.ActiveMasternodes.Count;

        Announce(_keys);

        Assert.Equal(1, seen);
    }

    [Fact]
    public void Accept_ManyThreadsAtOnce_EveryMasternodeAndHeartbeatCounted()
    {
        var keys = Enumerable.Range(0, 32).Select(_ => KeyPair.Generate()).ToList();
        try
        {
            var announcements = keys.Select(k => Announcement(k)).ToList();
            var heartbeats = keys.SelectMany(k => Enumerable.Range(1, 5).Select(s => Beat(k, (ulong)s))).ToList();
            Parallel.ForEach(announcements, a => Assert.True(_registry.Accept(a).Accepted));
            Parallel.ForEach(heartbeats, h => _registry.Accept(h));

            Assert.Equal(32, _registry.ActiveMasternodes.Count);
            Assert.Equal(32, _events.Count(e => e.Kind == "added"));
            Assert.All(_registry.ActiveMasternodes, r => Assert.Equal(5UL, r.LastSequence));
        }
        finally
        {
            keys.ForEach(k => k.Dispose());
        }
    }
}
