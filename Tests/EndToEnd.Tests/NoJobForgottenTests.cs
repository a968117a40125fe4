using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Migration.Cli.Embedded;
using Migration.Contracts.Status;
using Migration.Oma.Persistence;
using Migration.OmaWorkers.Saga;
using Migration.Tests.Support;

namespace Migration.Tests.EndToEnd;

/// <summary>
/// No job stays live for good: a contact timeout lost with a scheduler's memory is caught by the sweep, and a demo
/// stopped with Ctrl-C cancels its jobs.
/// </summary>
public sealed class NoJobForgottenTests : IDisposable
{
    private static readonly TimeSpan ContactTimeout = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(1);

    private readonly string _root = Path.Combine(Path.GetTempPath(), "forgotten-" + Guid.NewGuid().ToString("N"));

    public NoJobForgottenTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // left to the temp cleaner
        }
    }

    [Fact]
    public async Task A_job_whose_scheduled_timeout_was_lost_still_fails_on_time_when_its_VMA_falls_silent()
    {
        await using var vma = await MisbehavingVma.StartAsync();
        const string jobId = "lost-timeout-1";
        var percent = 0m;
        vma.Answers[jobId] = MisbehavingVma.Json(() => MisbehavingVma.StreamingDocument(jobId, percent = Math.Min(percent + 1, 99)));
        var settings = new Dictionary<string, string?>
        {
            ["Database:ConnectionString"] = $"Data Source={Path.Combine(_root, "lost.db")}",
            ["Vma:Simulated:VmCount"] = "1",
            ["Vma:Simulated:DiskSize"] = "1MiB",
            ["Vma:Target:Directory"] = Path.Combine(_root, "targets"),
            ["Tracking:PollInterval"] = "00:00:00.250",
            ["Tracking:WriteMinInterval"] = "00:00:00.250",
            ["Tracking:HttpTimeout"] = "00:00:01",
            ["Tracking:PollStaleAfter"] = "00:00:01",
            ["Tracking:MaxPollInterval"] = "00:00:01",
            ["Tracking:ContactTimeout"] = ContactTimeout.ToString("c", CultureInfo.InvariantCulture),
            ["Tracking:ContactTimeoutGrace"] = Grace.ToString("c", CultureInfo.InvariantCulture),
            ["VmaClient:MaxRetryAttempts"] = "0",
        };

        // The first process follows the job while it streams, then goes away with its in-memory scheduler and so with
        // the job's scheduled contact timeout; then the VMA falls silent (holds every poll open).
        var first = await EmbeddedSystem.StartAsync(settings);
        await first.StartReplicationAsync(jobId, "web01", SyncType.Full, vma.Url);
        await first.WaitForAsync(jobId, j => j.Status == StatusMapping.Streaming && j.ProgressPercent >= 3, TimeSpan.FromSeconds(30));
        await first.StopAsync();
        await first.DisposeAsync();
        vma.Answers[jobId] = MisbehavingVma.HoldOpen;

        // The second process knows nothing of that timeout.
        await using var second = await EmbeddedSystem.StartAsync(settings);
        var job = await second.WaitForAsync(jobId, j => StatusMapping.IsTerminal(j.Status), TimeSpan.FromSeconds(30));

        Assert.Equal(StatusMapping.Failed, job.Status);
        Assert.StartsWith(JobLog.ContactTimeoutExceeded, job.ErrorMessage);
        var silentFor = job.UpdatedAt - job.LastContactAt!.Value;
        Assert.True(silentFor >= ContactTimeout, $"failed after {silentFor} without contact");
        Assert.True(silentFor <= ContactTimeout + Grace + TimeSpan.FromSeconds(5), $"failed only after {silentFor} without contact");
    }

    [Fact]
    public async Task A_demo_interrupted_with_SIGTERM_cancels_its_jobs_and_exits_non_zero_with_a_message()
    {
        var db = Path.Combine(_root, "demo.db");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = _root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "migration.dll"));
        foreach (var argument in new[] { "demo", "--vms", "2", "--disk-size", "256MiB", "--db", db, "--timeout-minutes", "5" })
        {
            start.ArgumentList.Add(argument);
        }

        using var demo = Process.Start(start)!;
        var stdout = demo.StandardOutput.ReadToEndAsync();
        var stderr = demo.StandardError.ReadToEndAsync();
        try
        {
            await WaitUntilStreamingAsync(db, demo, TimeSpan.FromSeconds(90));
            // SIGTERM, not SIGINT: a test runner started in the background without job control (`cmd &` in a script)
            // ignores SIGINT for its whole process tree, and .NET keeps an ignored SIGINT ignored. The demo cancels on
            // either signal through the same token (Cli/Program.cs), so this is the Ctrl-C path as well.
            using (var interrupt = Process.Start("/bin/kill", ["-TERM", demo.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await interrupt.WaitForExitAsync();
            }

            using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await demo.WaitForExitAsync(exited.Token);
        }
        finally
        {
            demo.KillTree();
        }

        var error = await stderr;
        Assert.True(demo.ExitCode == 130, $"exit {demo.ExitCode}; stderr: {error}; stdout: {await stdout}");
        Assert.Contains("interrupted: cancelled 2 unfinished job(s) of 2 started", error, StringComparison.Ordinal);
        await using var services = Cli.CliSettings.ReadServices(db);
        var jobs = await services.GetRequiredService<IJobQueries>().GetJobsAsync(10, default);
        Assert.Equal(2, jobs.Count);
        Assert.All(jobs, j => Assert.Equal(StatusMapping.Failed, j.Status));
        Assert.All(jobs, j => Assert.StartsWith("Cancelled: the demo was interrupted", j.ErrorMessage));
    }

    private static async Task WaitUntilStreamingAsync(string db, Process demo, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !demo.HasExited)
        {
            if (File.Exists(db))
            {
                try
                {
                    await using var services = Cli.CliSettings.ReadServices(db);
                    var jobs = await services.GetRequiredService<IJobQueries>().GetJobsAsync(10, default);
                    if (jobs.Count == 2 && jobs.All(j => j.Status == StatusMapping.Streaming))
                    {
                        return;
                    }
                }
                catch (Exception ex) when (ex is Microsoft.Data.Sqlite.SqliteException or InvalidOperationException)
                {
                    // The schema is still being created.
                }
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"the demo's jobs did not both stream within {timeout} (exited: {demo.HasExited})");
    }
}
