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
}
