using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Node.Storage;

/// <summary>A block as the store keeps it: its identity and links, and the encoded block (which starts with the
/// encoded header: the header is stored once).</summary>
/// <param name="Hash">The block hash.</param>
/// <param name="Height">The block height.</param>
/// <param name="PreviousHash">The parent's hash.</param>
/// <param name="Body">The encoded block (served to peers, used to reorganize without re-download; its first
/// <see cref="HeaderSize"/> bytes are the header, loaded at start-up to rebuild the block tree).</param>
public sealed record StoredBlock(Hash256 Hash, long Height, Hash256 PreviousHash, byte[] Body)
{
    /// <summary>Size of the encoded header at the start of <see cref="Body"/>.</summary>
    public const int HeaderSize = BlockCodec.HeaderSize;
}
