using TimeCoin.Node.Hosting;
using TimeCoin.Node.Tests.Storage;

namespace TimeCoin.Node.Tests.Hosting;

public class NodeKeyFileTests
{
    [Fact]
    public void LoadOrCreate_Twice_ReturnsTheSameIdentity()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "keys", "node.key");
        using var first = NodeKeyFile.LoadOrCreate(path);
        using var second = NodeKeyFile.LoadOrCreate(path);
        Assert.Equal(first.PublicKey, second.PublicKey);
    }

    [Fact]
    public void LoadOrCreate_NewFile_IsOwnerOnly()
    {
        if (OperatingSystem.IsWindows())
            return;
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "node.key");
        using var _ = NodeKeyFile.LoadOrCreate(path);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public void LoadOrCreate_LeftoverTempFileReadableByAll_NewKeyFileIsStillOwnerOnly()
    {
        if (OperatingSystem.IsWindows())
            return;
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "node.key");
        // A save that was killed before its rename leaves node.key.tmp behind; here someone widened it since.
        File.WriteAllText(path + ".tmp", "stale");
        File.SetUnixFileMode(path + ".tmp", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        using var key = NodeKeyFile.LoadOrCreate(path);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.False(File.Exists(path + ".tmp"));
        using var again = NodeKeyFile.Load(path);
        Assert.Equal(key.PublicKey, again.PublicKey);
    }

    [Theory]
    [InlineData("not a key")]
    [InlineData("zz00000000000000000000000000000000000000000000000000000000000000")]
    public void Load_CorruptFile_FailsNamingTheFile(string content)
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "node.key");
        File.WriteAllText(path, content);
        var ex = Assert.Throws<InvalidDataException>(() => NodeKeyFile.Load(path));
        Assert.Contains(path, ex.Message);
    }
}
