using Migration.VmaAgent.Targets;

namespace Migration.Tests.VmaAgent;

public sealed class TargetFileNameTests
{
    [Theory]
    [InlineData("demo-vm-1")]
    [InlineData("DC0_C0_RP0_VM1")]
    [InlineData("disk-2000")]
    [InlineData("web.01")]
    public void A_safe_name_is_kept_as_it_is(string name) => Assert.Equal(name, TargetFileName.Of(name));

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("...")]
    [InlineData("")]
    [InlineData("../../etc")]
    [InlineData("a/b")]
    public void A_name_never_becomes_a_path_that_leaves_its_directory(string name)
    {
        var segment = TargetFileName.Of(name);
        Assert.NotEqual("", segment.Trim('.'));
        Assert.DoesNotContain('/', segment);
        var image = Path.GetFullPath(TargetFileName.DefaultImage("/targets", name, "disk-0"));
        Assert.StartsWith("/targets/", image, StringComparison.Ordinal);
        Assert.Equal("/targets", Path.GetDirectoryName(Path.GetDirectoryName(image)));
    }

    [Fact]
    public void Names_that_differ_only_in_unsafe_characters_get_different_segments()
    {
        var names = new[] { "web \"a\"", "web 'a'", "web_a_", "web\na", "web\u202Ea", new string('x', 300), new string('x', 301) };
        Assert.Equal(names.Length, names.Select(TargetFileName.Of).Distinct(StringComparer.Ordinal).Count());
        Assert.All(names.Select(TargetFileName.Of), s => Assert.True(s.Length <= 120, s));
    }
}
