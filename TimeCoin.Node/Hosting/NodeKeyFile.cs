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
        Save(path, key);
        return key;
    }

    /// <summary>Creates a fresh key at <paramref name="path"/>; never replaces an existing file.</summary>
    /// <exception cref="IOException">The file already exists (the message names it).</exception>
    public static KeyPair CreateNew(string path)
    {
        if (File.Exists(path))
            throw new IOException($"Key file '{path}' already exists; not overwritten.");
        var key = KeyPair.Generate();
        Save(path, key);
        return key;
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

    /// <summary>Writes <paramref name="key"/> to <paramref name="path"/> with owner-only permissions (on Unix).</summary>
    /// <exception cref="IOException">The file or its directory cannot be written (no temporary file is left).</exception>
    /// <exception cref="UnauthorizedAccessException">Writing is not permitted.</exception>
    public static void Save(string path, KeyPair key)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
            Directory.CreateDirectory(directory);
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            using (var stream = new FileStream(temp, options))
            using (var writer = new StreamWriter(stream))
                writer.WriteLine(Convert.ToHexStringLower(key.ExportPrivateKey()));
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            // No stray copy of the private key is left beside a target that could not be written.
            try
            {
                File.Delete(temp);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }

            throw;
        }
    }
}
