using System.Globalization;
using TimeCoin.Core.Chain;

namespace TimeCoin.Network.Protocol;

/// <summary>
/// The four bytes that open every frame and name the network (mainnet, testnet, a devnet). Frames with another
/// network's magic are rejected before anything else is read, so networks stay apart even on the same port.
/// Written little-endian on the wire. The values come from <see cref="ChainParameters"/>, the one source of a
/// network's magic.
/// </summary>
/// <param name="Value">The magic as a 32-bit number.</param>
public readonly record struct NetworkMagic(uint Value)
{
    /// <summary>TIME Coin mainnet (<see cref="ChainParameters.MainnetMagic"/>).</summary>
    public static NetworkMagic Mainnet { get; } = new(ChainParameters.MainnetMagic);

    /// <summary>TIME Coin testnet (<see cref="ChainParameters.TestnetMagic"/>).</summary>
    public static NetworkMagic Testnet { get; } = new(ChainParameters.TestnetMagic);

    /// <summary>Local development networks (<see cref="ChainParameters.DevnetMagic"/>).</summary>
    public static NetworkMagic Devnet { get; } = new(ChainParameters.DevnetMagic);

    /// <summary>The magic of the network described by <paramref name="parameters"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> is null.</exception>
    public static NetworkMagic For(ChainParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new NetworkMagic(parameters.NetworkMagic);
    }

    /// <summary>Eight lowercase hex digits, e.g. "54494d45".</summary>
    public override string ToString() => Value.ToString("x8", CultureInfo.InvariantCulture);
}
