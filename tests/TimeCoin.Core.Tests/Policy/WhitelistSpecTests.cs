using TimeCoin.Core.Policy;
using static TimeCoin.Core.Tests.Policy.PolicyTestSupport;

namespace TimeCoin.Core.Tests.Policy;

public class WhitelistSpecTests
{
    [Fact]
    public void Parse_PermissionsAtRange_ReadsBoth()
    {
        var spec = WhitelistSpec.Parse("noban,prioritysync@10.0.0.0/8");
        Assert.Equal(Range("10.0.0.0/8"), spec.Range);
        Assert.Equal(PeerPermissions.NoBan | PeerPermissions.PrioritySync, spec.Permissions);
        Assert.Equal(PeerPermissions.NoBan | PeerPermissions.PrioritySync, spec.PermissionsFor(WhitelistSource.Config));
    }

    [Fact]
    public void Parse_PlainAddress_GetsSourceDefault()
    {
        var spec = WhitelistSpec.Parse("1.2.3.4");
        Assert.Null(spec.Permissions);
        Assert.Equal(PeerPermissions.All, spec.PermissionsFor(WhitelistSource.Config));
        Assert.Equal(PeerPermissions.All, spec.PermissionsFor(WhitelistSource.Rpc));
        Assert.False(spec.PermissionsFor(WhitelistSource.Discovery).HasFlag(PeerPermissions.NoBan));
    }

    [Theory]
    [InlineData("all@::1", PeerPermissions.All)]
    [InlineData("lenientliveness@::1", PeerPermissions.LenientLiveness)]
    [InlineData("reservedslot@::1", PeerPermissions.ReservedSlot)]
    [InlineData(" NoBan , PrioritySync @::1", PeerPermissions.NoBan | PeerPermissions.PrioritySync)]
    [InlineData("noban,noban@::1", PeerPermissions.NoBan)]
    public void Parse_PermissionNames_CaseAndSpacesTolerated(string text, PeerPermissions expected) =>
        Assert.Equal(expected, WhitelistSpec.Parse(text).Permissions);

    [Theory]
    [InlineData("nobna@10.0.0.0/8", "Unknown permission 'nobna'")]
    [InlineData("noban,,prioritysync@10.0.0.0/8", "Empty permission name")]
    [InlineData("@10.0.0.0/8", "No permission given")]
    [InlineData("noban@", "empty")]
    [InlineData("noban@10.0.0.1/8", "bits set")]
    [InlineData("noban@nonsense", "not an IP address")]
    [InlineData("", "empty")]
    public void TryParse_InvalidLine_ReturnsErrorNamingBadPart(string text, string expectedInError)
    {
        Assert.False(WhitelistSpec.TryParse(text, out var spec, out var error));
        Assert.Null(spec);
        Assert.Contains(expectedInError, error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void TryParse_UnknownPermission_ErrorListsKnownNames()
    {
        WhitelistSpec.TryParse("relay@1.2.3.4", out _, out var error);
        Assert.Contains("lenientliveness, noban, prioritysync, reservedslot, all", error);
    }

    [Theory]
    [InlineData("noban,prioritysync@10.0.0.0/8", "noban,prioritysync@10.0.0.0/8")]
    [InlineData("prioritysync,noban@10.0.0.0/8", "noban,prioritysync@10.0.0.0/8")]
    [InlineData("all@1.2.3.4/32", "all@1.2.3.4")]
    [InlineData("::ffff:1.2.3.4", "1.2.3.4")]
    public void ToString_IsCanonicalAndParsesBack(string text, string canonical)
    {
        var spec = WhitelistSpec.Parse(text);
        Assert.Equal(canonical, spec.ToString());
        Assert.Equal(spec, WhitelistSpec.Parse(spec.ToString()));
    }

    [Fact]
    public void DefaultFor_ManualSourcesGetAll_AutomaticSourcesGetAllButNoBan()
    {
        var automatic = PeerPermissions.LenientLiveness | PeerPermissions.PrioritySync | PeerPermissions.ReservedSlot;
        Assert.Equal(PeerPermissions.All, PeerPermissionNames.DefaultFor(WhitelistSource.Config));
        Assert.Equal(PeerPermissions.All, PeerPermissionNames.DefaultFor(WhitelistSource.Rpc));
        Assert.Equal(automatic, PeerPermissionNames.DefaultFor(WhitelistSource.Discovery));
        Assert.Equal(automatic, PeerPermissionNames.DefaultFor(WhitelistSource.Masternode));
    }
}
