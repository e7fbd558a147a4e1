namespace TimeCoin.Node.Tests.Sync;

/// <summary>Condition waits with a deadline (the nodes run on their own loops; the tests wait for an outcome, not for time).</summary>
public static class Eventually
{
    public static async Task<bool> WaitAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                return condition();
            await Task.Delay(5);
        }
        return true;
    }

    public static async Task AssertAsync(Func<bool> condition, Func<string> describe, TimeSpan? timeout = null)
    {
        if (!await WaitAsync(condition, timeout))
            Assert.Fail(describe());
    }
}
