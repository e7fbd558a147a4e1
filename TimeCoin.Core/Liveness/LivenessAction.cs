namespace TimeCoin.Core.Liveness;

/// <summary>What the connection loop should do with a peer after a liveness check.</summary>
public enum LivenessAction
{
    /// <summary>Keep the connection.</summary>
    Keep,

    /// <summary>Close the connection; the decision's reason says which limit was hit.</summary>
    Disconnect,
}
