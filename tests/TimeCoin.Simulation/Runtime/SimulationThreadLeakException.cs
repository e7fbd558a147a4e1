namespace TimeCoin.Simulation.Runtime;

/// <summary>Work reached the simulation from another thread: a thread-pool hop leaked into a node's runtime path.</summary>
public sealed class SimulationThreadLeakException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SimulationThreadLeakException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public SimulationThreadLeakException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public SimulationThreadLeakException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
