using System.Globalization;

namespace TimeCoin.Network.Protocol;

/// <summary>
/// The four bytes that open every frame and name the network (mainnet, testnet, a devnet). Frames with another
/// network's magic are rejected before anything else is read, so networks stay apart even on the same port.
/// Written little-endian on the wire.
/// </summary>
/// <param name="Value">The magic as a 32-bit number.</param>
public readonly record struct NetworkMagic(uint Value)
{
    /// <summary>TIME Coin mainnet ("TIME" in ASCII, read as a little-endian number).</summary>
    public static NetworkMagic Mainnet { get; } = new(0x454D4954);

    /// <summary>TIME Coin testnet.</summary>
    public static NetworkMagic Testnet { get; } = new(0x74534554);

    /// <summary>A local development network.</summary>
    public static NetworkMagic Devnet { get; } = new(0x76454454);

    /// <summary>Eight lowercase hex digits, e.g. "454d4954".</summary>
    public override string ToString() => Value.ToString("x8", CultureInfo.InvariantCulture);
}
