using System.Diagnostics;
using Migration.Tests.Cluster.Infrastructure;
using Xunit.Abstractions;

namespace Migration.Tests.Cluster;

/// <summary>
/// The chaos run of the benchmarks (<c>Benchmarks.dll chaos</c>) at 20 jobs on a compressed fault schedule: worker
/// kills, a RabbitMQ restart, a PostgreSQL outage, both schedulers restarted and the VMA killed and resumed, all while
/// the jobs stream. The command itself decides whether everything held; this test runs it as an operator does and
/// requires its exit code and its figures.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ChaosRunTests(ITestOutputHelper output)
{
    private const string HoldsLine = "chaos: lost 0, duplicated 0, regressions 0";

    [Fact]
    public async Task Twenty_jobs_through_every_fault_lose_duplicate_and_regress_nothing()
    {
        var benchmark = Path.Combine(HostProcess.RepositoryRoot, "Tests", "Benchmarks", "bin", HostProcess.BuildConfiguration, "net10.0", "Benchmarks.dll");
        Assert.True(File.Exists(benchmark), $"{benchmark} is missing: build the solution first");
        // About 4.4 MB per job at 48 KiB/s: the jobs stream for about 90 s, and the last fault is due at 30 s; a
        // broker restart on a loaded machine can hold the schedule back by a minute, and the faults must still find
        // jobs streaming.
        string[] arguments =
        [
            benchmark, "chaos", "--jobs", "20", "--cap", "48KiB",
            "--worker-kill-every", "6", "--scheduler-a-at", "2", "--rabbit-at", "5", "--postgres-at", "14", "--postgres-down", "6",
            "--vma-at", "24", "--scheduler-b-at", "30", "--drain", "300", "--port-base", "57500",
        ];
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = HostProcess.RepositoryRoot,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("the chaos run did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the chaos run did not end within 10 minutes\n{await stdout}\n{await stderr}");
        }

        var lines = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
        output.WriteLine(string.Join('\n', lines));
        var progress = await stderr;
        Assert.True(process.ExitCode == 0, $"the chaos run exited {process.ExitCode}\n{progress[Math.Max(0, progress.Length - 4000)..]}");
        Assert.Equal(HoldsLine, lines[^1]);
        Assert.Contains("jobs started: 20", lines);
        Assert.Contains("jobs completed: 20", lines);
        Assert.Contains("jobs failed: 0", lines);
        Assert.Contains("messages left in _error/_skipped queues: 0", lines);
        // Every fault came while jobs were streaming.
        var faults = lines.Where(l => l.Contains(" fault at ", StringComparison.Ordinal)).ToList();
        Assert.Equal(5, faults.Count);
        Assert.All(faults, f => Assert.Contains(" streaming", f[f.IndexOf("; jobs ", StringComparison.Ordinal)..], StringComparison.Ordinal));
    }
}
