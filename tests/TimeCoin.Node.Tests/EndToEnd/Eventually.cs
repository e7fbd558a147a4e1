namespace TimeCoin.Node.Tests.EndToEnd;

/// <summary>Waits for a condition on whole nodes running on the wall clock (these tests check production and sync,
/// not timeouts, so they poll with a generous deadline instead of sleeping a fixed time).</summary>
internal static class Eventually
{
    public static async Task True(Func<bool> condition, TimeSpan deadline, Func<string> describe)
    {
        var until = DateTimeOffset.UtcNow + deadline;
        while (!condition())
        {
            if (DateTimeOffset.UtcNow > until)
                Assert.Fail($"not reached within {deadline.TotalSeconds} s: {describe()}");
            await Task.Delay(50);
        }
    }
}
