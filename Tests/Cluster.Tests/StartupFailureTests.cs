using Migration.Tests.Cluster.Infrastructure;
using Xunit.Abstractions;

namespace Migration.Tests.Cluster;

/// <summary>A host that cannot start exits 1 with one last line naming the key, not with an unhandled exception.</summary>
[Collection(ClusterCollection.Name)]
public sealed class StartupFailureTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("VmaAgent", "vma-agent", "Vma__Source", "Mainframe", "'Vma:Source'")]
    [InlineData("OmaWorkers", "oma-workers", "Database__Provider", "Oracle", "'Database:Provider'")]
    [InlineData("Scheduler", "scheduler", "Database__Provider", "Oracle", "'Database:Provider'")]
    public async Task A_host_with_a_value_it_cannot_use_exits_1_naming_the_key(string project, string service, string key, string value, string named)
    {
        var directory = Path.Combine(HostProcess.RepositoryRoot, ".tmp", "cluster-tests", $"startup-{service}-{Guid.NewGuid():N}");
        using var host = HostProcess.Start(service, project, new Dictionary<string, string> { [key] = value }, directory);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!host.HasExited && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        var log = await File.ReadAllLinesAsync(host.LogFile);
        output.WriteLine(string.Join('\n', log.TakeLast(5)));
        Assert.True(host.HasExited, $"{service} still runs with {key}={value}");
        Assert.Equal(1, host.ExitCode);
        var last = log.Last(l => l.Length > 0);
        Assert.StartsWith($"{service} cannot start: ", last, StringComparison.Ordinal);
        Assert.Contains(named, last, StringComparison.Ordinal);
        Assert.Contains(value, last, StringComparison.Ordinal);
        Assert.DoesNotContain(log, l => l.StartsWith("Unhandled exception", StringComparison.Ordinal));
    }
}
