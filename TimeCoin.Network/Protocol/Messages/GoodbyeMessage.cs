
namespace TimeCoin.Network.Protocol;

/// <summary>
/// An orderly close: the sender is about to close this connection on purpose (it is shutting down, or the connection
/// is a duplicate of another one to the same node) and sends nothing after it. The receiver closes the connection
/// without counting it as a failure, so a clean shutdown is never reported as the loss of a peer.
/// </summary>
/// <param name="Reason">Why, for logs (at most 256 bytes of UTF-8), e.g. <c>node stopping</c> or <c>duplicate</c>.</param>
public sealed record GoodbyeMessage(string Reason) : NetworkMessage
{
    /// <inheritdoc />
    public override MessageType Type => MessageType.Goodbye;
}
