namespace TimeCoin.Network.Protocol;

/// <summary>Base of every protocol message; <see cref="MessageCodec"/> encodes and decodes them.</summary>
public abstract record NetworkMessage
{
    /// <summary>The frame message type this message travels as.</summary>
    public abstract MessageType Type { get; }
}
