using System.Net.Sockets;
using TimeCoin.Core.Policy;
using static TimeCoin.Core.Tests.Policy.PolicyTestSupport;

namespace TimeCoin.Core.Tests.Policy;

public class IpRangeTests
{
    [Theory]
    [InlineData("10.0.0.0/8", "10.255.1.2", true)]
    [InlineData("10.0.0.0/8", "11.0.0.1", false)]
    [InlineData("192.168.1.0/24", "192.168.1.77", true)]
    [InlineData("192.168.1.0/24", "192.168.2.1", false)]
    [InlineData("172.16.0.0/12", "172.31.255.255", true)]
    [InlineData("172.16.0.0/12", "172.32.0.0", false)]
    [InlineData("0.0.0.0/0", "8.8.8.8", true)]
    [InlineData("1.2.3.4", "1.2.3.4", true)]
    [InlineData("1.2.3.4", "1.2.3.5", false)]
    public void Contains_Ipv4Cidr_MatchesAddressesInsidePrefixOnly(string range, string address, bool expected) =>
        Assert.Equal(expected, Range(range).Contains(Ip(address)));

    [Theory]
    [InlineData("2001:db8::/32", "2001:db8:ffff::1", true)]
    [InlineData("2001:db8::/32", "2001:db9::1", false)]
    [InlineData("2001:db8::/33", "2001:db8:7fff::1", true)]
    [InlineData("2001:db8::/33", "2001:db8:8000::1", false)]
    [InlineData("::1", "::1", true)]
    [InlineData("::1", "::2", false)]
    public void Contains_Ipv6Cidr_MatchesAddressesInsidePrefixOnly(string range, string address, bool expected) =>
        Assert.Equal(expected, Range(range).Contains(Ip(address)));

    [Fact]
    public void Contains_Ipv4MappedAddress_MatchesIpv4Range()
    {
        var range = Range("10.0.0.0/8");
        Assert.True(range.Contains(Ip("::ffff:10.1.2.3")));
        Assert.False(range.Contains(Ip("::ffff:11.1.2.3")));
    }

    [Fact]
    public void Contains_Ipv4AddressInIpv6Range_DoesNotMatch()
    {
        Assert.False(Range("::/0").Contains(Ip("10.1.2.3")));
        Assert.False(Range("0.0.0.0/0").Contains(Ip("2001:db8::1")));
    }

    [Fact]
    public void Parse_MappedAddress_NormalizesToIpv4()
    {
        var range = Range("::ffff:1.2.3.4");
        Assert.Equal(AddressFamily.InterNetwork, range.AddressFamily);
        Assert.Equal("1.2.3.4", range.ToString());
        Assert.Equal(Range("1.2.3.4"), range);
    }

    [Fact]
    public void Parse_MappedCidr_NormalizesToIpv4Prefix()
    {
        var range = Range("::ffff:10.0.0.0/104");
        Assert.Equal("10.0.0.0/8", range.ToString());
        Assert.Equal(Range("10.0.0.0/8"), range);
    }

    [Theory]
    [InlineData("1.2.3.4", "1.2.3.4")]
    [InlineData("1.2.3.4/32", "1.2.3.4")]
    [InlineData(" 10.0.0.0/8 ", "10.0.0.0/8")]
    [InlineData("2001:DB8:0:0::/32", "2001:db8::/32")]
    [InlineData("2001:db8::1/128", "2001:db8::1")]
    [InlineData("0.0.0.0/0", "0.0.0.0/0")]
    public void ToString_AnySpelling_IsCanonicalAndRoundTrips(string text, string canonical)
    {
        var range = Range(text);
        Assert.Equal(canonical, range.ToString());
        Assert.Equal(range, Range(range.ToString()));
    }

    [Fact]
    public void FromAddress_SingleAddress_IsSlash32OrSlash128()
    {
        Assert.Equal(32, IpRange.FromAddress(Ip("1.2.3.4")).PrefixLength);
        Assert.Equal(128, IpRange.FromAddress(Ip("2001:db8::1")).PrefixLength);
        Assert.True(IpRange.FromAddress(Ip("::ffff:1.2.3.4")).IsSingleAddress);
        Assert.Equal(Range("1.2.3.4"), IpRange.FromAddress(Ip("::ffff:1.2.3.4")));
    }

    [Fact]
    public void Equality_DifferentPrefixOrNetwork_NotEqual()
    {
        Assert.NotEqual(Range("10.0.0.0/8"), Range("10.0.0.0/16"));
        Assert.NotEqual(Range("10.0.0.0/8"), Range("11.0.0.0/8"));
        Assert.True(Range("10.0.0.0/8") == Range("10.0.0.0/8"));
        Assert.Equal(Range("10.0.0.0/8").GetHashCode(), Range("10.0.0.0/8").GetHashCode());
    }

    [Fact]
    public void ContainsRange_NarrowerRangeInside_True_WiderOrOutside_False()
    {
        Assert.True(Range("10.0.0.0/8").Contains(Range("10.1.0.0/16")));
        Assert.True(Range("10.0.0.0/8").Contains(Range("10.1.2.3")));
        Assert.False(Range("10.1.0.0/16").Contains(Range("10.0.0.0/8")));
        Assert.False(Range("10.0.0.0/8").Contains(Range("2001:db8::/32")));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("   ", "empty")]
    [InlineData("1.2.3", "dotted-quad")]
    [InlineData("1.2.3.4.5", "dotted-quad")]
    [InlineData("256.1.1.1", "larger than 255")]
    [InlineData("01.2.3.4", "leading zeros")]
    [InlineData("1.2.3.4/33", "at most /32")]
    [InlineData("2001:db8::/129", "at most /128")]
    [InlineData("1.2.3.4/", "invalid prefix length")]
    [InlineData("1.2.3.4/x", "invalid prefix length")]
    [InlineData("1.2.3.4/-1", "invalid prefix length")]
    [InlineData("10.0.0.1/8", "bits set after the /8 prefix")]
    [InlineData("fe80::1%eth0", "zone")]
    [InlineData("2001:db8::zz", "not a valid IPv6")]
    [InlineData("example.com", "dotted-quad")]
    public void TryParse_InvalidText_ReturnsFalseWithErrorNamingProblem(string text, string expectedInError)
    {
        Assert.False(IpRange.TryParse(text, out var range, out var error));
        Assert.Null(range);
        Assert.Contains(expectedInError, error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void TryParse_Null_ReturnsFalseWithoutThrowing()
    {
        Assert.False(IpRange.TryParse(null, out _, out var error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void Parse_HostBitsSet_ErrorSuggestsNetwork()
    {
        var ex = Assert.Throws<FormatException>(() => IpRange.Parse("10.0.0.1/8"));
        Assert.Contains("10.0.0.0/8", ex.Message);
    }

    [Fact]
    public void Contains_ZoneIndexedAddress_MatchesIgnoringZone()
    {
        var address = Ip("fe80::1");
        address.ScopeId = 3;
        Assert.True(Range("fe80::/10").Contains(address));
    }

    [Fact]
    public void CompareTo_SortsIpv4BeforeIpv6ThenByAddress()
    {
        var sorted = new[] { Range("2001:db8::1"), Range("10.0.0.2"), Range("10.0.0.0/8"), Range("9.0.0.1") }.Order().Select(r => r.ToString());
        Assert.Equal(["9.0.0.1", "10.0.0.0/8", "10.0.0.2", "2001:db8::1"], sorted);
    }
}
