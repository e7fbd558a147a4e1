namespace TimeCoin.Node.Sync;

/// <summary>Storing blocks failed: the in-memory chain may be ahead of the disk, so the sync loop stops.</summary>
internal sealed class ChainStoreFailedException(string message, Exception inner) : Exception(message, inner);
