using TimeCoin.Core.Crypto;
using TimeCoin.Network.Connections;

namespace TimeCoin.Network.Tests;

/// <summary>
/// The relay filter (an open-addressing table since session 7) against the plain reference it replaced: a <see cref="HashSet{T}"/> with a queue of insertion order, forgetting the oldest hash past the capacity.
/// </summary>
public class RecentHashFilterTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 2)]
    [InlineData(31, 3)]
    [InlineData(32, 4)]
    [InlineData(33, 5)]
    [InlineData(100, 6)]
    [InlineData(512, 7)]
    [InlineData(513, 8)]
    [InlineData(1000, 9)]
    [InlineData(3000, 10)]
    public void RandomAddsAndLookups_SameAnswersAsHashSetWithFifoEviction(int capacity, int seed)
    {
        var random = new Random(seed);
        // A universe a few times the capacity, so hashes are forgotten and come back, clusters form in the table and
        // removals shift entries across its wrap-around; the zero hash (the table's empty marker) is one of them.
        var universe = Enumerable.Range(0, capacity * 3 + 8).Select(TestData.HashOf).Append(Hash256.Zero).ToArray();
        var filter = new RecentHashFilter(capacity);
        var reference = new HashSet<Hash256>();
        var order = new Queue<Hash256>();
        long forgotten = 0;
        for (int step = 0; step < 30_000; step++)
        {
            var hash = universe[random.Next(universe.Length)];
            if (random.Next(3) == 0)
            {
                Assert.Equal(reference.Contains(hash), filter.Contains(hash));
                continue;
            }
            if (random.Next(50) == 0)
            {
                var some = Enumerable.Range(0, random.Next(40)).Select(_ => universe[random.Next(universe.Length)]).ToArray();
                var seen = new bool[some.Length + 3];
                Assert.Equal(forgotten, filter.ContainsAll(some, seen));
                Assert.Equal(some.Select(reference.Contains), seen.Take(some.Length));
            }
            bool added = reference.Add(hash);
            if (added)
            {
                order.Enqueue(hash);
                while (order.Count > capacity)
                {
                    reference.Remove(order.Dequeue());
                    forgotten++;
                }
            }
            Assert.Equal(added, filter.TryAdd(hash));
            Assert.Equal(reference.Count, filter.Count);
            Assert.Equal(forgotten, filter.Removals);
            if (step % 997 == 0)
            {
                foreach (var each in universe)
                    Assert.Equal(reference.Contains(each), filter.Contains(each));
            }
        }
        foreach (var each in universe)
            Assert.Equal(reference.Contains(each), filter.Contains(each));
    }

    [Fact]
    public void ZeroHash_AddedForgottenAndAddedAgain()
    {
        var filter = new RecentHashFilter(1);
        Assert.False(filter.Contains(Hash256.Zero));
        Assert.True(filter.TryAdd(Hash256.Zero));
        Assert.False(filter.TryAdd(Hash256.Zero));
        Assert.True(filter.Contains(Hash256.Zero));
        Assert.True(filter.TryAdd(TestData.HashOf(1))); // forgets the zero hash
        Assert.False(filter.Contains(Hash256.Zero));
        Assert.True(filter.TryAdd(Hash256.Zero));
        Assert.False(filter.Contains(TestData.HashOf(1)));
        Assert.Equal(1, filter.Count);
    }

    [Fact]
    public void GrowsPastItsFirstTable_KeepsEveryHash()
    {
        var filter = new RecentHashFilter(50_000);
        for (int i = 0; i < 10_000; i++)
            Assert.True(filter.TryAdd(TestData.HashOf(i)));
        for (int i = 0; i < 10_000; i++)
            Assert.True(filter.Contains(TestData.HashOf(i)));
        Assert.False(filter.Contains(TestData.HashOf(10_000)));
        Assert.Equal(10_000, filter.Count);
    }
    /// <summary>
    /// A gossip batch against a full filter (the default 50,000 hashes, reached after about 8 simulated hours), handled
    /// as ConnectionManager handles one: one <see cref="RecentHashFilter.ContainsAll"/>, then item by item a copy is
    /// what <see cref="RecentHashFilter.StillContains"/> says is still remembered, and any other item is looked up again
    /// and, when new, added (which pushes out the oldest hash). Every hash still remembered is answered seen, however
    /// many other hashes were forgotten since the look-up; none that is not (the oldest hash, pushed out by the batch's
    /// own new items before its turn, and one forgotten before the batch).
    /// </summary>
    [Fact]
    public void StillContains_FullFilterWithEvictionsDuringTheBatch_EveryRememberedCopyAnsweredSeen()
    {
        int capacity = new ConnectionManagerOptions().RelayFilterCapacity;
        var filter = new RecentHashFilter(capacity);
        for (int i = 0; i < capacity + 10; i++)
            filter.TryAdd(TestData.HashOf(i)); // full: hashes 0-9 already forgotten, 10 is the oldest
        var oldest = TestData.HashOf(10);
        Hash256[] batch =
        [
            TestData.HashOf(capacity + 9), TestData.HashOf(capacity + 5), // copies
            TestData.HashOf(capacity + 100), // new: pushes out 10
            TestData.HashOf(capacity + 8), // a copy, after an eviction
            TestData.HashOf(capacity + 101), TestData.HashOf(capacity + 102), // new, new
            oldest, // seen at the look-up, forgotten since
            TestData.HashOf(3), // forgotten before the batch
            TestData.HashOf(capacity + 7), TestData.HashOf(capacity + 6), TestData.HashOf(20), // copies
        ];
        var seen = new bool[batch.Length];
        long removals = filter.ContainsAll(batch, seen);
        Assert.True(seen[6]);

        var answers = new List<bool>();
        for (int i = 0; i < batch.Length; i++)
        {
            bool rememberedBefore = filter.Contains(batch[i]);
            bool copy = filter.StillContains(batch, seen, i, ref removals);
            answers.Add(copy);
            Assert.False(copy && !rememberedBefore, $"item {i} answered seen but it is not remembered");
            if (!copy)
                filter.TryAdd(batch[i]); // the one-by-one path: looked up again, added when new
        }

        Assert.Equal([true, true, false, true, false, false, false, false, true, true, true], answers);
        Assert.Equal(capacity, filter.Count);
        Assert.Equal(10 + 5, filter.Removals); // the three new items and the two re-added forgotten ones
    }

    /// <summary>
    /// Random batches against a full filter, with other hashes added between the items (new items of the batch and of
    /// other connections): a batch answer is true only for a hash remembered now, and always for one seen at the batch's
    /// look-up and remembered ever since (any other may be answered either way: the caller looks it up again).
    /// </summary>
    [Theory]
    [InlineData(100, 1)]
    [InlineData(1000, 2)]
    [InlineData(5000, 3)]
    public void StillContains_RandomBatchesWithAddsBetween_TrueForEveryHashRememberedThroughoutAndForNoForgottenOne(int capacity, int seed)
    {
        var random = new Random(seed);
        var filter = new RecentHashFilter(capacity);
        int next = 0;
        for (; next < capacity; next++)
            filter.TryAdd(TestData.HashOf(next));
        for (int round = 0; round < 300; round++)
        {
            // Mostly recent hashes (copies), some old ones (near or past eviction), some new.
            var batch = Enumerable.Range(0, random.Next(1, 60)).Select(_ => random.Next(4) switch
            {
                0 => TestData.HashOf(next + random.Next(20)),
                1 => TestData.HashOf(Math.Max(0, next - capacity - 10 + random.Next(20))),
                _ => TestData.HashOf(next - 1 - random.Next(Math.Min(next, capacity / 2))),
            }).ToArray();
            var seen = new bool[batch.Length];
            var atLookUp = batch.Select(filter.Contains).ToArray();
            long removals = filter.ContainsAll(batch, seen);
            Assert.Equal(atLookUp, seen);
            var lost = new HashSet<Hash256>(); // forgotten at some moment since the look-up
            for (int i = 0; i < batch.Length; i++)
            {
                bool remembered = filter.Contains(batch[i]);
                bool copy = filter.StillContains(batch, seen, i, ref removals);
                Assert.False(copy && !remembered, $"round {round}, item {i} answered seen but it is not remembered");
                if (atLookUp[i] && !lost.Contains(batch[i]))
                    Assert.True(copy, $"round {round}, item {i} stayed remembered but was not answered seen");
                if (!copy)
                    filter.TryAdd(batch[i]);
                for (int k = random.Next(3); k > 0; k--)
                    filter.TryAdd(TestData.HashOf(next++));
                lost.UnionWith(batch.Where(h => !filter.Contains(h)));
            }
        }
    }
}
