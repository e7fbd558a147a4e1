namespace TimeCoin.Node.Sync;

/// <summary>
/// Storing blocks failed (disk full, I/O error). Nothing of the failed write was kept, in memory or on disk, but a
/// failing disk is fatal: the sync loop and block production end with this exception and the node stops.
/// </summary>
internal sealed class ChainStoreFailedException(string message, Exception inner) : Exception(message, inner);
