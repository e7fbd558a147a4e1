using Microsoft.Extensions.Time.Testing;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Masternodes;
using TimeCoin.Node.Services;
using TimeCoin.Node.Storage;
using TimeCoin.Node.Tests.Storage;

namespace TimeCoin.Node.Tests.Services;

public sealed class MasternodeRegistryPersistenceTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    public void Dispose() => _dir.Dispose();

    private HeartbeatRegistry NewRegistry() => new(HeartbeatOptions.Default, _clock, "devnet");

    [Fact]
    public void Start_AfterAnnouncementAndReopen_RestoresTheMasternode()
    {
        using var key = KeyPair.Generate();
        using (var db = NodeDatabase.Open(_dir.Path))
        {
            var registry = NewRegistry();
            using var persistence = new MasternodeRegistryPersistence(registry, db, _clock);
            Assert.False(persistence.Start());
            registry.Accept(MasternodeAnnouncement.Create(key, "devnet", "203.0.113.5:24100", MasternodeTier.Gold, _clock.GetUtcNow()));
            Assert.NotNull(db.LoadDocument(MasternodeRegistryPersistence.DocumentName));
            Assert.Single(registry.GetAll());
        }

        using var reopened = NodeDatabase.Open(_dir.Path);
        var restoredRegistry = NewRegistry();
        using var restored = new MasternodeRegistryPersistence(restoredRegistry, reopened, _clock);

        Assert.True(restored.Start());
        var record = Assert.Single(restoredRegistry.GetAll());
        Assert.Equal((key.PublicKey, "203.0.113.5:24100", MasternodeTier.Gold), (record.Key, record.Address, record.Tier));
    }

    [Fact]
    public void Save_ThousandAnnouncementsAtOnce_SavedOnceAtFirstThenOnceTogether()
    {
        // Issue 9: anyone able to make keys can announce thousands of masternodes; one full save per announcement
        // would be quadratic. The first change is saved at once, the rest together once MinSaveSpacing has passed.
        using var db = NodeDatabase.Open(_dir.Path);
        var registry = NewRegistry();
        using var persistence = new MasternodeRegistryPersistence(registry, db, _clock);
        persistence.Start();
        for (int i = 0; i < 1000; i++)
        {
            using var key = KeyPair.Generate();
            registry.Accept(MasternodeAnnouncement.Create(key, "devnet", $"203.0.{i / 250}.{i % 250 + 1}:24100", MasternodeTier.Free, _clock.GetUtcNow()));
        }
        int Saved() => System.Text.Json.JsonDocument.Parse(db.LoadDocument(MasternodeRegistryPersistence.DocumentName)!).RootElement.GetArrayLength();

        Assert.Equal(1, Saved());
        _clock.Advance(MasternodeRegistryPersistence.MinSaveSpacing);
        Assert.Equal(1000, Saved());
    }

    [Fact]
    public void Start_CorruptDocument_StartsEmpty()
    {
        using var db = NodeDatabase.Open(_dir.Path);
        db.SaveDocument(MasternodeRegistryPersistence.DocumentName, "[{\"Key\":\"zz\"}]", _clock.GetUtcNow());
        var registry = NewRegistry();
        using var persistence = new MasternodeRegistryPersistence(registry, db, _clock);

        Assert.False(persistence.Start());
        Assert.Empty(registry.GetAll());
    }
}
