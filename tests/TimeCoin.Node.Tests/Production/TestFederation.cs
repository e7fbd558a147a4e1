using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Node.Production;
using TimeCoin.Node.Storage;
using TimeCoin.Node.Tests.Storage;

namespace TimeCoin.Node.Tests.Production;

/// <summary>A three-key federation (keys in schedule order), a chain store on a temp directory and a fake clock.</summary>
public sealed class TestFederation : IDisposable
{
    public const long GenesisTime = 1_700_000_000;
    public const int BlockTime = 10;

    private readonly TempDirectory _dir = new();

    public TestFederation(bool devnet = true, int keyCount = 3)
    {
        var keys = Enumerable.Range(0, keyCount)
            .Select(i => KeyPair.FromPrivateKey(SHA256.HashData(Encoding.UTF8.GetBytes($"producer-test-{i}"))))
            .ToList();
        Keys = keys.OrderBy(k => k.PublicKey).ToList();
        Parameters = devnet
            ? ChainParameters.CreateDevnet(Keys.Select(k => k.PublicKey), GenesisTime, BlockTime)
            : new ChainParameters("privnet", ChainParameters.TestnetMagic, GenesisTime, BlockTime, Keys.Select(k => k.PublicKey));
        Clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(GenesisTime + 10 * BlockTime));
        Database = NodeDatabase.Open(_dir.Path);
        Chain = ChainStore.Open(Database, Parameters);
    }

    /// <summary>The federation keys sorted as the schedule sorts them: key i produces slots s with s mod n == i.</summary>
    public IReadOnlyList<KeyPair> Keys { get; }

    public ChainParameters Parameters { get; }

    public FakeTimeProvider Clock { get; }

    public NodeDatabase Database { get; }

    public ChainStore Chain { get; }

    public FakeGate Gate { get; } = new() { PeerCount = 1 };

    public BlockProducer Producer(params KeyPair[] keys) => new(Chain, keys, Gate, Clock);

    /// <summary>Sets the clock to the start of <paramref name="slot"/> plus <paramref name="extraSeconds"/>.</summary>
    public void SetClockToSlot(ulong slot, int extraSeconds = 0) =>
        Clock.SetUtcNow(DateTimeOffset.FromUnixTimeSeconds(Parameters.Schedule.SlotTimestamp(slot) + extraSeconds));

    public void Dispose()
    {
        Database.Dispose();
        foreach (var key in Keys)
            key.Dispose();
        _dir.Dispose();
    }

    public sealed class FakeGate : IProductionGate
    {
        public int PeerCount { get; set; }

        public long BestPeerHeight { get; set; }

        public bool IsSingleNodeDevnet { get; set; }
    }
}
