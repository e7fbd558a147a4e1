using TimeCoin.Core.Crypto;

namespace TimeCoin.Node.Hosting;

/// <summary>
/// The node's persistent Ed25519 identity on disk: one line of 64 hex characters (the private seed), readable by
/// the owner only. The same key signs handshakes, heartbeats, masternode announcements and produced blocks, so it
/// must survive restarts (the earlier node made a new key at every start and its heartbeats could not be verified).
/// </summary>
public static class NodeKeyFile
{
    /// <summary>
    /// Loads the key at <paramref name="path"/>, or creates a fresh one there when the file does not exist.
    /// </summary>
    /// <exception cref="InvalidDataException">The file exists but does not hold a key; the message names the file.</exception>
    public static KeyPair LoadOrCreate(string path)
    {
        if (File.Exists(path))
            return Load(path);
        var key = KeyPair.Generate();
        if (Write(path, key, overwrite: false))
            return key;
        // Another process created the file since the check (two first starts on one directory): its key is the node's.
        key.Dispose();
        return Load(path);
    }

    /// <summary>Creates a fresh key at <paramref name="path"/>; never replaces an existing file.</summary>
    /// <exception cref="IOException">The file already exists (the message names it).</exception>
    public static KeyPair CreateNew(string path)
    {
        if (File.Exists(path))
            throw new IOException($"Key file '{path}' already exists; not overwritten.");
        var key = KeyPair.Generate();
        if (Write(path, key, overwrite: false))
            return key;
        key.Dispose();
        throw new IOException($"Key file '{path}' already exists; not overwritten.");
    }

    /// <summary>Loads the key at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file does not hold a key; the message names the file.</exception>
    public static KeyPair Load(string path)
    {
        var text = File.ReadAllText(path).Trim();
        if (text.Length != KeyPair.PrivateKeySize * 2)
            throw new InvalidDataException($"Key file '{path}' must hold one line of {KeyPair.PrivateKeySize * 2} hex characters; it holds {text.Length} characters.");
        byte[] seed;
        try
        {
            seed = Convert.FromHexString(text);
        }
        catch (FormatException)
        {
            throw new InvalidDataException($"Key file '{path}' is not hexadecimal.");
        }
        return KeyPair.FromPrivateKey(seed);
    }

    /// <summary>Writes <paramref name="key"/> to <paramref name="path"/> with owner-only permissions (on Unix), replacing any file there.</summary>
    /// <exception cref="IOException">The file or its directory cannot be written (no temporary file is left).</exception>
    /// <exception cref="UnauthorizedAccessException">Writing is not permitted.</exception>
    public static void Save(string path, KeyPair key) => Write(path, key, overwrite: true);

    /// <summary>
    /// Writes the key to a fresh temporary file beside <paramref name="path"/> and renames it into place. A temporary
    /// file left by an earlier write that was killed is deleted first: opening it again would keep its permissions,
    /// which may no longer be owner-only. Returns false (and leaves nothing behind) when <paramref name="overwrite"/> is
    /// false and <paramref name="path"/> exists at the rename.
    /// </summary>
    private static bool Write(string path, KeyPair key, bool overwrite)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
            Directory.CreateDirectory(directory);
        var temp = path + ".tmp";
        File.Delete(temp);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        bool moved = false;
        try
        {
            using (var stream = new FileStream(temp, options))
            using (var writer = new StreamWriter(stream))
                writer.WriteLine(Convert.ToHexStringLower(key.ExportPrivateKey()));
            if (!overwrite && File.Exists(path))
                return false;
            File.Move(temp, path, overwrite);
            moved = true;
            return true;
        }
        catch (IOException) when (!overwrite && File.Exists(path))
        {
            return false; // created by someone else between the check and the rename
        }
        finally
        {
            // No stray copy of the private key is left beside a target that could not be written.
            if (!moved)
            {
                try
                {
                    File.Delete(temp);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                }
            }
        }
    }
}
