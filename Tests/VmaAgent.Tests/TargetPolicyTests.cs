using Microsoft.Extensions.Options;
using Migration.VmaAgent.Configuration;
using Migration.VmaAgent.Targets;

namespace Migration.Tests.VmaAgent;

public sealed class TargetPolicyTests
{
    private static TargetPolicy Policy(params string[] nbdHosts) =>
        new(Options.Create(new VmaOptions { Target = new FileTargetOptions { Directory = "/srv/vma-targets", AllowedNbdHosts = [.. nbdHosts] } }));

    [Theory]
    [InlineData("nbd://127.0.0.1:10809/disk-0")]
    [InlineData("nbd://localhost/disk-0")]
    [InlineData("nbd://[::1]:10809/disk-0")]
    [InlineData("nbd+unix:///disk-0?socket=/srv/vma-targets/nbd.sock")]
    [InlineData("file:///srv/vma-targets/vm/disk-0.img")]
    public void Loopback_NBD_and_paths_inside_the_root_are_allowed_by_default(string uri) =>
        Assert.Null(Policy().Check(uri));

    [Theory]
    [InlineData("nbd://10.0.0.5:10809/disk-0")]
    [InlineData("nbd://evil.example/disk-0")]
    [InlineData("file:///srv/vma-targets-sibling/x.img")]
    [InlineData("file:///srv/vma-targets/../etc/x.img")]
    [InlineData("file:///srv/vma-targets/a%0Ab.img")]
    public void Anything_else_is_refused(string uri) =>
        Assert.NotNull(Policy().Check(uri));

    [Fact]
    public void Configured_NBD_hosts_replace_the_loopback_default()
    {
        var policy = Policy("ossea-nbd-1.example", "10.0.0.5");

        Assert.Null(policy.Check("nbd://ossea-nbd-1.example:10809/x"));
        Assert.Null(policy.Check("nbd://10.0.0.5/x"));
        Assert.NotNull(policy.Check("nbd://127.0.0.1/x"));
        Assert.NotNull(policy.Check("nbd+unix:///x?socket=/run/nbd/a.sock"));
        Assert.Null(Policy("unix:/run/nbd/").Check("nbd+unix:///x?socket=/run/nbd/a.sock"));
        Assert.NotNull(Policy("unix:/run/nbd/").Check("nbd+unix:///x?socket=/var/run/docker.sock"));
    }
}
