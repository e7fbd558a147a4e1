namespace TimeCoin.Node.Storage;

/// <summary>
/// An exclusive lock on a data directory, held for the life of the node so a second node on the same directory
/// fails fast instead of corrupting it. Backed by an open file with no sharing (an advisory lock the operating
/// system releases when the process dies, even on SIGKILL).
/// </summary>
public sealed class DataDirectoryLock : IDisposable
{
    private readonly FileStream _handle;

    private DataDirectoryLock(FileStream handle, string path)
    {
        _handle = handle;
        LockPath = path;
    }

    /// <summary>The lock file.</summary>
    public string LockPath { get; }

    /// <summary>Takes the lock on <paramref name="dataDirectory"/>, creating the directory if needed.</summary>
    /// <exception cref="DataDirectoryInUseException">Another process holds the lock.</exception>
    /// <exception cref="IOException">The lock was taken but the process id could not be written into the lock file
    /// (disk full, I/O error); the lock is released again.</exception>
    public static DataDirectoryLock Acquire(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, ".lock");
        FileStream handle;
        try
        {
            handle = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new DataDirectoryInUseException(
                $"Data directory '{Path.GetFullPath(dataDirectory)}' is in use by another time-node (lock held on '{path}'). " +
                "Stop the other node or choose another --datadir.", ex);
        }
        try
        {
            handle.SetLength(0);
            var pid = System.Text.Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            handle.Write(pid);
            handle.Flush();
            return new DataDirectoryLock(handle, path);
        }
        catch (Exception ex)
        {
            // Ours, but unusable: not "in use by another node" (a full disk said that), and not kept open.
            DisposeQuietly(handle);
            if (ex is IOException)
                throw new IOException($"Could not write the lock file '{path}' of data directory '{Path.GetFullPath(dataDirectory)}': {ex.Message}", ex);
            throw;
        }
    }

    private static void DisposeQuietly(FileStream handle)
    {
        try
        {
            handle.Dispose(); // flushes what the failed write buffered: the same error again
        }
        catch (IOException)
        {
        }
    }

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();
}
