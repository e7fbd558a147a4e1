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
    public static DataDirectoryLock Acquire(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, ".lock");
        try
        {
            var handle = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            handle.SetLength(0);
            var pid = System.Text.Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            handle.Write(pid);
            handle.Flush();
            return new DataDirectoryLock(handle, path);
        }
        catch (IOException ex)
        {
            throw new DataDirectoryInUseException(
                $"Data directory '{Path.GetFullPath(dataDirectory)}' is in use by another time-node (lock held on '{path}'). " +
                "Stop the other node or choose another --datadir.", ex);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();
}
