using System.Net;
using TimeCoin.Node.Config;
using TimeCoin.Node.Rpc;

namespace TimeCoin.Node.Tests.Rpc;

/// <summary>`[rpc] allow_ips`: what the config check accepts, the server accepts and matches the same way.</summary>
public class JsonRpcServerAllowIpsTests
{
    private static JsonRpcServer Server(params string[] allowIps) =>
        new(new RpcServerOptions { CookieFilePath = "unused", AllowIps = allowIps }, new RpcMethodRegistry());

    [Fact]
    public void AllowIps_EntryWithSpacesTheConfigAccepts_StartsAndMatches()
    {
        // The config check trims an entry; the server parsed it again without trimming and threw at start.
        var config = NodeConfigLoader.Parse("[rpc]\nallow_ips = [\" 10.0.0.5 \", \"10.1.0.0/16 \"]\n", "config.toml");

        var server = Server([.. config.Rpc.AllowIps]);

        Assert.True(server.IsAllowed(IPAddress.Parse("10.0.0.5")));
        Assert.True(server.IsAllowed(IPAddress.Parse("10.1.2.3")));
        Assert.False(server.IsAllowed(IPAddress.Parse("10.0.0.6")));
    }

    [Theory]
    [InlineData("10.1.2.3")]
    [InlineData("::ffff:10.1.2.3")]
    public void AllowIps_IPv4MappedRange_MatchesTheIPv4CallerTheConfigCheckMeant(string caller)
    {
        // The config check reads ::ffff:10.0.0.0/104 as 10.0.0.0/8; the server must match the same callers.
        var config = NodeConfigLoader.Parse("[rpc]\nallow_ips = [\"::ffff:10.0.0.0/104\"]\n", "config.toml");
        var server = Server([.. config.Rpc.AllowIps]);

        Assert.True(server.IsAllowed(IPAddress.Parse(caller)));
        Assert.False(server.IsAllowed(IPAddress.Parse("11.0.0.1")));
    }

    [Fact]
    public void AllowIps_Loopback_AlwaysAllowed()
    {
        var server = Server();

        Assert.True(server.IsAllowed(IPAddress.Loopback));
        Assert.True(server.IsAllowed(IPAddress.Parse("::ffff:127.0.0.1")));
        Assert.False(server.IsAllowed(IPAddress.Parse("10.0.0.5")));
    }
}
