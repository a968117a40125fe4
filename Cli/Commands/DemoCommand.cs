using System.Globalization;
using Migration.Cli.Display;
using Migration.Cli.Embedded;
using Migration.Contracts.Status;
using Migration.Oma.Persistence;
using Spectre.Console;

namespace Migration.Cli.Commands;

/// <summary>
/// <c>demo</c>: the whole system in one process on the embedded defaults; a full sync of every simulated VM, then
/// changes written into each VM and an incremental; every target image checked against its source byte for byte.
/// </summary>
public static class DemoCommand
{
    public const string Usage = "demo [--vms N] [--disk-size SIZE] [--db PATH] [--timeout-minutes M] [--nbd]";

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        if (args.Any(a => a == "--vcenter" || a.StartsWith("--vcenter=", StringComparison.Ordinal)))
        {
            return await VCenterDemoCommand.RunAsync(args, cancellationToken);
        }

        var cli = new CliArguments(args, new HashSet<string> { "vms", "disk-size", "db", "timeout-minutes" }, new HashSet<string> { "nbd" });
        var nbd = cli.Flag("nbd");
        var vmCount = cli.Int("vms", 3, 1, 50);
        var diskSize = cli.Option("disk-size") ?? "64MiB";
        var dbPath = cli.Option("db") ?? CliSettings.DefaultDatabasePath;
        var timeout = TimeSpan.FromMinutes(cli.Int("timeout-minutes", 5, 1, 24 * 60));
        var targets = Path.GetFullPath("data/targets");

        var settings = new Dictionary<string, string?>
        {
            ["Bus:Transport"] = "InMemory",
            ["Vma:Simulated:VmCount"] = vmCount.ToString(CultureInfo.InvariantCulture),
            ["Vma:Simulated:DiskSize"] = diskSize,
            ["Vma:Target:Directory"] = targets,
            ["Vma:SourceExports:Enabled"] = nbd ? "true" : "false",
        };
        foreach (var (key, value) in CliSettings.Database(dbPath))
        {
            settings[key] = value;
        }

        AnsiConsole.MarkupLine($"[bold]Replication demo[/]: {vmCount} simulated VM(s), disks of {Markup.Escape(diskSize)}, database {Markup.Escape(Path.GetFullPath(dbPath))}");
        EmbeddedSystem system;
        try
        {
            system = await EmbeddedSystem.StartAsync(settings, cancellationToken: cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidOperationException or Microsoft.Extensions.Options.OptionsValidationException or IOException)
        {
            throw new CliException($"the system did not start: {ex.Message}");
        }

        var started = new List<string>();
        await using (system)
        {
            try
            {
                return await RunJobsAsync(system, started, dbPath, timeout, targets, nbd, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return await DemoInterruption.CancelStartedJobsAsync(system, started);
            }
        }
    }

    private static async Task<int> RunJobsAsync(
        EmbeddedSystem system, List<string> started, string dbPath, TimeSpan timeout, string targets, bool nbd,
        CancellationToken cancellationToken)
    {
        AnsiConsole.MarkupLine($"VMA agent at {system.VmaUrl}; workers and scheduler in-process (in-memory bus, SQLite)");
        var time = system.Services.GetRequiredService<TimeProvider>();
        var run = time.GetUtcNow().ToString("HHmmss", CultureInfo.InvariantCulture);
        var vms = system.Inventory.Vms.Select(v => v.Name).ToList();
        var deadline = time.GetUtcNow() + timeout;
        await using var exports = nbd ? await DemoNbdExports.StartAsync(system.Inventory, targets, cancellationToken) : null;
        if (exports is not null)
        {
            AnsiConsole.MarkupLine($"NBD data path: {exports.Count} nbdkit target exports; each snapshot disk is served by nbdkit and read over NBD");
        }

        var full = await RunPhaseAsync(system, vms.Select(vm => ($"{vm}-full-{run}", vm)).ToList(), SyncType.Full, deadline, cancellationToken, exports, started);

        var changed = new Dictionary<string, long>();
        if (full.All(j => j.Status == StatusMapping.Completed))
        {
            foreach (var vm in vms)
            {
                changed[vm] = system.Inventory.ChangeAreas(vm).TotalBytes;
            }

            AnsiConsole.MarkupLine($"Wrote new data into every VM ({JobTable.Bytes(changed.Values.Sum())} in changed areas); starting incrementals");
        }

        var incremental = full.All(j => j.Status == StatusMapping.Completed)
            ? await RunPhaseAsync(system, vms.Select(vm => ($"{vm}-incr-{run}", vm)).ToList(), SyncType.Incremental, deadline, cancellationToken, exports, started)
            : [];

        var all = full.Concat(incremental).ToList();
        var diskCounts = new Dictionary<string, int>();
        foreach (var job in all)
        {
            diskCounts[job.Id] = (await system.Queries.GetDisksAsync(job.Id, cancellationToken)).Count;
        }

        AnsiConsole.Write(JobTable.Summary(all, diskCounts));
        var problems = all.Where(j => j.Status != StatusMapping.Completed)
            .Select(j => $"{j.Id} ended {j.Status}: {j.ErrorMessage ?? "(no error recorded)"}").ToList();
        if (full.Any(j => j.Status != StatusMapping.Completed))
        {
            problems.Add("the incremental phase did not run because a full sync did not complete");
        }
        else if (incremental.Count != vms.Count || full.Count != vms.Count)
        {
            problems.Add($"not every job finished within {timeout}");
        }

        foreach (var job in incremental.Where(j => j.Status == StatusMapping.Completed))
        {
            var vm = job.VmName;
            if (job.BytesTransferred != changed[vm])
            {
                problems.Add($"{job.Id} moved {job.BytesTransferred} bytes but {changed[vm]} bytes were changed");
            }
        }

        problems.AddRange(TargetCheck.Compare(system.Inventory, targets, vms));
        await system.StopAsync();

        AnsiConsole.MarkupLine($"Database: [bold]{Markup.Escape(Path.GetFullPath(dbPath))}[/] (try: dotnet run --project Cli -- jobs --db {Markup.Escape(dbPath)})");
        AnsiConsole.MarkupLine($"Target images: [bold]{Markup.Escape(targets)}[/]");
        if (problems.Count == 0)
        {
            AnsiConsole.MarkupLine($"[green]All {all.Count} jobs succeeded; every target image equals its source disk byte for byte.[/]");
            return 0;
        }

        foreach (var problem in problems)
        {
            AnsiConsole.MarkupLine($"[red]✗[/] {Markup.Escape(problem)}");
        }

        return 1;
    }

    internal static async Task<List<JobView>> RunPhaseAsync(
        EmbeddedSystem system,
        IReadOnlyList<(string JobId, string Vm)> jobs,
        SyncType syncType,
        DateTimeOffset deadline,
        CancellationToken cancellationToken,
        DemoNbdExports? exports = null,
        List<string>? started = null)
    {
        foreach (var (jobId, vm) in jobs)
        {
            started?.Add(jobId);
            await system.StartReplicationAsync(jobId, vm, syncType, cancellationToken: cancellationToken, target: exports?.TargetOf(vm));
        }

        var ids = jobs.Select(j => j.JobId).ToList();
        var left = deadline - system.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        IReadOnlyList<JobView> final = [];
        if (AnsiConsole.Profile.Capabilities.Interactive)
        {
            await AnsiConsole.Live(JobTable.Live([])).AutoClear(false).StartAsync(async live =>
            {
                final = await system.WaitForJobsAsync(ids, left, jobsNow =>
                {
                    live.UpdateTarget(JobTable.Live(jobsNow));
                    live.Refresh();
                }, cancellationToken);
            });
        }
        else
        {
            var lastLine = new Dictionary<string, string>();
            final = await system.WaitForJobsAsync(ids, left, jobsNow =>
            {
                foreach (var job in jobsNow)
                {
                    var line = JobTable.Line(job);
                    var key = $"{job.Status}/{job.CurrentOperation}/{Math.Floor(job.ProgressPercent / 10)}";
                    if (lastLine.GetValueOrDefault(job.Id) != key)
                    {
                        lastLine[job.Id] = key;
                        Console.WriteLine(line);
                    }
                }
            }, cancellationToken);
        }

        return final.ToList();
    }
}
