using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Core.Tests.Chain;

public class ProducerScheduleTests
{
    private static readonly PublicKey[] Keys = Enumerable.Range(0, 3).Select(_ =>
    {
        using var key = KeyPair.Generate();
        return key.PublicKey;
    }).ToArray();

    private static readonly PublicKey[] Sorted = Keys.OrderBy(k => k).ToArray();

    [Theory]
    [InlineData(1000, 0ul)]
    [InlineData(1009, 0ul)]
    [InlineData(1010, 1ul)]
    [InlineData(1055, 5ul)]
    [InlineData(999, 0ul)]
    public void SlotAt_Time_IsElapsedOverBlockTime(long time, ulong expectedSlot)
    {
        var schedule = new ProducerSchedule(1000, 10, Keys);

        Assert.Equal(expectedSlot, schedule.SlotAt(time));
        Assert.Equal(expectedSlot, schedule.SlotAt(DateTimeOffset.FromUnixTimeSeconds(time)));
    }

    [Fact]
    public void SlotTimestamp_Slot_IsGenesisPlusSlotTimesBlockTime()
    {
        var schedule = new ProducerSchedule(1000, 10, Keys);

        Assert.Equal(1000, schedule.SlotTimestamp(0));
        Assert.Equal(1070, schedule.SlotTimestamp(7));
        Assert.Equal(7ul, schedule.SlotAt(schedule.SlotTimestamp(7)));
    }

    [Fact]
    public void SlotTimestamp_AbsurdSlot_ReportsOverflow()
    {
        var schedule = new ProducerSchedule(1000, 10, Keys);

        Assert.False(schedule.TryGetSlotTimestamp(ulong.MaxValue, out _));
        Assert.Throws<OverflowException>(() => schedule.SlotTimestamp(ulong.MaxValue / 5));
    }

    [Fact]
    public void ProducerOf_Slot_RotatesThroughSortedFederation()
    {
        var schedule = new ProducerSchedule(1000, 10, Keys);

        for (ulong slot = 0; slot < 7; slot++)
            Assert.Equal(Sorted[slot % 3], schedule.ProducerOf(slot));
    }

    [Fact]
    public void Federation_AnyInputOrderWithDuplicates_IsSameCanonicalList()
    {
        var a = new ProducerSchedule(1000, 10, Keys);
        var b = new ProducerSchedule(1000, 10, [Keys[2], Keys[0], Keys[1], Keys[0], Keys[2]]);

        Assert.Equal(Sorted, a.Federation);
        Assert.Equal(Sorted, b.Federation);
    }

    [Fact]
    public void NextSlotFor_Member_IsFirstOwnSlotAtOrAfter()
    {
        var schedule = new ProducerSchedule(1000, 10, Keys);

        Assert.Equal(5ul, schedule.NextSlotFor(Sorted[2], 3));
        Assert.Equal(3ul, schedule.NextSlotFor(Sorted[0], 3));
        Assert.Equal(2ul, schedule.NextSlotFor(Sorted[2], 2));
    }

    [Fact]
    public void NextSlotFor_NonMember_IsNull()
    {
        using var outsider = KeyPair.Generate();
        var schedule = new ProducerSchedule(1000, 10, Keys);

        Assert.Null(schedule.NextSlotFor(outsider.PublicKey, 0));
        Assert.False(schedule.IsMember(outsider.PublicKey));
        Assert.True(schedule.IsMember(Keys[1]));
    }
}
