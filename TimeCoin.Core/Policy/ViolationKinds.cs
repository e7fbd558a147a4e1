namespace TimeCoin.Core.Policy;

/// <summary>Classification of <see cref="ViolationKind"/> values.</summary>
public static class ViolationKinds
{
    /// <summary>
    /// True for violations that cannot happen by accident between honest nodes of the same network: wrong network,
    /// wrong genesis, forged signature, oversized frame. These disconnect even a no-ban peer.
    /// </summary>
    public static bool IsSevere(this ViolationKind kind) => kind switch
    {
        ViolationKind.WrongNetwork or ViolationKind.WrongGenesis or ViolationKind.ForgedSignature
            or ViolationKind.OversizedFrame => true,
        _ => false,
    };
}
