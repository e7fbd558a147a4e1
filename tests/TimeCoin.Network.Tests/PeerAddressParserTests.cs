using TimeCoin.Network.Discovery;

namespace TimeCoin.Network.Tests;

public class PeerAddressParserTests
{
    [Theory]
    [InlineData("1.2.3.4", "1.2.3.4:24100")]
    [InlineData(" 1.2.3.4:8333 ", "1.2.3.4:8333")]
    [InlineData("[2001:db8::1]:24101", "[2001:db8::1]:24101")]
    [InlineData("[::1]", "[::1]:24100")]
    [InlineData("2001:db8::2", "[2001:db8::2]:24100")]
    [InlineData("[::ffff:10.0.0.1]:5", "10.0.0.1:5")]
    public void TryParse_ValidAddress_ReturnsEndpoint(string text, string expected)
    {
        Assert.True(PeerAddressParser.TryParse(text, 24100, out var endpoint, out var error), error);
        Assert.Equal(expected, endpoint.ToString());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("1.2.3", "not an IPv4")]
    [InlineData("1", "not an IPv4")]
    [InlineData("256.1.1.1", "not an IPv4")]
    [InlineData("1.2.3.4:0", "port")]
    [InlineData("1.2.3.4:65536", "port")]
    [InlineData("1.2.3.4:+80", "port")]
    [InlineData("1.2.3.4:", "port")]
    [InlineData("example.com:24100", "not an IPv4")]
    [InlineData("[::1", "missing ']'")]
    [InlineData("[1.2.3.4]:80", "not an IPv6")]
    [InlineData("[::1]x", "after ']'")]
    [InlineData("0.0.0.0", "not a unicast")]
    [InlineData("255.255.255.255", "not a unicast")]
    [InlineData("239.1.1.1:24100", "not a unicast")]
    [InlineData("[ff02::1]:24100", "not a unicast")]
    public void TryParse_InvalidAddress_ReturnsErrorNamingTheProblem(string text, string expectedError)
    {
        Assert.False(PeerAddressParser.TryParse(text, 24100, out _, out var error));
        Assert.Contains(expectedError, error);
    }
}
