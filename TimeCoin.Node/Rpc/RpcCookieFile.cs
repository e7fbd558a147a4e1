using System.Security.Cryptography;

namespace TimeCoin.Node.Rpc;

/// <summary>
/// The Bitcoin Core-style authentication cookie: a file holding <c>__cookie__:&lt;64 hex digits&gt;</c>, readable by the
/// node's user only, written at start and deleted at stop. Whoever can read it can call the RPC server.
/// </summary>
public static class RpcCookieFile
{
    /// <summary>The user name of cookie authentication.</summary>
    public const string UserName = "__cookie__";

    /// <summary>Creates a fresh random cookie and writes it to <paramref name="path"/> (mode 600 on Unix).</summary>
    /// <param name="path">The cookie file; its directory is created if needed.</param>
    /// <returns>The credentials written, <c>__cookie__:&lt;hex&gt;</c>.</returns>
    public static string Write(string path)
    {
        var credentials = UserName + ":" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);

        // Written to a temporary file created with owner-only permissions, then renamed, so no reader ever sees a
        // partial cookie or a moment where the file is readable by others.
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        File.Delete(temporary);
        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(credentials);
        }

        File.Move(temporary, path, overwrite: true);
        return credentials;
    }

    /// <summary>Deletes the cookie file if it is there.</summary>
    /// <param name="path">The cookie file.</param>
    public static void Delete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort at shutdown: a stale cookie is replaced at the next start.
        }
    }
}
