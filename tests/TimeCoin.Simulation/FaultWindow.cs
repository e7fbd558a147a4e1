using System.Net;

namespace TimeCoin.Simulation;

/// <summary>One injected fault: when it began, when it ended (null: still on), and which host pairs it affects.</summary>
public sealed class FaultWindow
{
    internal FaultWindow(string name, TimeSpan from, Func<IPAddress, IPAddress, bool> affects)
    {
        Name = name;
        From = from;
        Affects = affects;
    }

    /// <summary>What the fault is.</summary>
    public string Name { get; }

    /// <summary>When it began (virtual time).</summary>
    public TimeSpan From { get; }

    /// <summary>When it ended, or null while it lasts.</summary>
    public TimeSpan? Until { get; private set; }

    /// <summary>True when the fault affects traffic from the first host to the second.</summary>
    public Func<IPAddress, IPAddress, bool> Affects { get; }

    /// <summary>Ends the fault at <paramref name="at"/>.</summary>
    public void End(TimeSpan at) => Until ??= at;
}
