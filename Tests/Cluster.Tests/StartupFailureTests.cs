using Migration.Tests.Cluster.Infrastructure;
using Migration.Tests.Support;
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

    [Theory]
    [InlineData("OmaWorkers", "oma-workers")]
    [InlineData("Scheduler", "scheduler")]
    public async Task A_host_whose_broker_cannot_be_reached_exits_1_naming_the_broker(string project, string service)
    {
        var directory = Path.Combine(HostProcess.RepositoryRoot, ".tmp", "cluster-tests", $"nobroker-{service}-{Guid.NewGuid():N}");
        var port = LoopbackPorts.Next(); // nothing listens there
        using var host = HostProcess.Start(service, project, new Dictionary<string, string>
        {
            ["Bus__Transport"] = "RabbitMq",
            ["Bus__RabbitMq__Host"] = "127.0.0.1",
            ["Bus__RabbitMq__Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Bus__StartTimeout"] = "00:00:05",
            ["Database__Provider"] = "Sqlite",
            ["Database__ConnectionString"] = $"Data Source={Path.Combine(directory, "migration.db")}",
        }, directory);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!host.HasExited && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        var log = await File.ReadAllLinesAsync(host.LogFile);
        output.WriteLine($"{log.Length} lines; the last ones:\n" + string.Join('\n', log.TakeLast(5)));
        Assert.True(host.HasExited, $"{service} still runs {90} s after start with no broker");
        Assert.Equal(1, host.ExitCode);
        // The one line of ours; MassTransit may still log its own stop after it, from another thread.
        Assert.Contains(log, l => l.StartsWith($"{service} cannot start: ", StringComparison.Ordinal) && l.Contains($"{port}", StringComparison.Ordinal));
        Assert.DoesNotContain(log, l => l.StartsWith("Unhandled exception", StringComparison.Ordinal));
    }
}
