using System.Text.RegularExpressions;
using Dapper;
using Migration.Contracts.Text;
using Migration.Tests.Cluster.Infrastructure;
using Migration.Tests.Support;
using Npgsql;
using Xunit.Abstractions;

namespace Migration.Tests.Cluster;

/// <summary>
/// Job ids, VM names and disk labels built to break things (<see cref="HostileNames"/>) through the real deployment
/// shape on RabbitMQ and PostgreSQL: StartReplication on the bus, the VMA, the saga's rows, the OMA read API, the
/// VMA's progress document, the CLI and every host's log. Values come back exactly where they are data (rows, JSON);
/// where they meet a terminal or a log line they are escaped, so no line is forged and no escape sequence gets through.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed partial class HostileIdentifiersTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Hostile_ids_vm_names_and_disk_labels_round_trip_through_bus_rows_api_cli_and_logs()
    {
        await using var run = await ClusterRun.CreateAsync("hostile", output);
        var logs = new Dictionary<string, string>
        {
            ["Logging__Console__FormatterOptions__IncludeScopes"] = "true",
            ["Logging__LogLevel__Migration"] = "Debug",
        };
        var tracking = new Dictionary<string, string>(logs)
        {
            ["Tracking__PollInterval"] = "00:00:00.500",
            ["Tracking__WriteMinInterval"] = "00:00:00.500",
        };
        var vmaSettings = new Dictionary<string, string>(logs);
        foreach (var (key, value) in HostileNames.SimulatedSourceSettings("__"))
        {
            vmaSettings[key] = value;
        }

        vmaSettings["Vma__Simulated__DiskSize"] = "1MiB";
        var vma = run.StartVma("vma", HostileNames.VmNames.Count, "4MiB", vmaSettings);
        var worker = run.StartWorker("worker", tracking);
        var scheduler = run.StartScheduler("scheduler", tracking);
        await ClusterRun.WaitReadyAsync(vma, worker, scheduler);

        var jobs = HostileIdentifierChecks.Jobs();
        await run.PublishStartsAsync(jobs.Select(j => (j.JobId, j.VmName, vma.Url)));
        // And one that breaks the id rule with a forged line and an escape in its id: _error, no row, its log lines escaped.
        const string badId = "bad\n" + HostileNames.ForgedMarker + " \u001b[31m";
        await run.PublishStartsAsync([(badId, HostileNames.VmNames[0], vma.Url)]);

        var rows = await run.WaitForJobsAsync([.. jobs.Select(j => j.JobId)], new ProgressMonitor(), TimeSpan.FromMinutes(3));
        var problems = new List<string>();
        foreach (var (jobId, vmName, labels) in jobs)
        {
            var row = rows.SingleOrDefault(r => r.Id == jobId);
            if (row is null || row.Status != "completed" || row.VmName != vmName)
            {
                problems.Add($"row {jobId}: {row?.ToString() ?? "missing"}, vm_name '{HostileNames.Visible(row?.VmName ?? "")}'");
            }
        }

        Assert.Equal(jobs.Count, rows.Count); // nothing for the bad id, nothing lost, nothing merged (Case.Job-A, case.job-a)
        var disks = await run.Database.GetDisksAsync();
        var history = await run.Database.GetCbtHistoryAsync();
        var log = await run.Database.GetJobLogAsync();
        foreach (var (jobId, _, labels) in jobs)
        {
            var shown = disks.Where(d => d.JobId == jobId).OrderBy(d => d.DiskId, StringComparer.Ordinal).Select(d => d.Label ?? "(null)");
            if (string.Join(" | ", shown) != string.Join(" | ", labels))
            {
                problems.Add($"vm_disks {jobId}: labels '{HostileNames.Visible(string.Join(" | ", shown))}'");
            }

            if (history.Count(h => h.JobId == jobId && h.SyncSuccess) != labels.Count)
            {
                problems.Add($"cbt_history {jobId}: {history.Count(h => h.JobId == jobId)} rows");
            }

            if (!log.Any(l => l.JobId == jobId))
            {
                problems.Add($"job_log {jobId}: no rows");
            }
        }

        problems.AddRange(log.SelectMany(l => HostileNames.RawControls(l.Message, allowNewlines: false)
            .Select(c => $"job_log {l.JobId}: raw {c} in '{HostileNames.Visible(l.Message)}'")));
        await using (var connection = new NpgsqlConnection(run.DatabaseConnectionString))
        {
            // The SQL fragments in the names were data: every table is still there, holding what it should.
            var tables = (await connection.QueryAsync<string>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")).ToHashSet();
            Assert.Superset(new HashSet<string> { "replication_jobs", "vm_disks", "cbt_history", "job_log" }, tables);
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        problems.AddRange(await HostileIdentifierChecks.CheckOmaApiAsync(http, worker.Url));
        problems.AddRange(await HostileIdentifierChecks.CheckProgressDocumentsAsync(http, vma.Url));
        var cli = Path.Combine(HostProcess.RepositoryRoot, "Cli", "bin", HostProcess.BuildConfiguration, "net10.0", "migration.dll");
        problems.AddRange(await HostileIdentifierChecks.CheckCliAsync(cli, new Dictionary<string, string>
        {
            ["Database__Provider"] = "Postgres",
            ["Database__ConnectionString"] = run.DatabaseConnectionString,
        }, []));

        // Distinct VMs whose names differ only in unsafe characters, and "..", each got images of their own, inside the directory.
        var images = Directory.GetFiles(Path.Combine(run.WorkDirectory, "targets"), "*.img", SearchOption.AllDirectories);
        Assert.Equal(jobs.Sum(j => j.Labels.Count), images.Length);
        Assert.Empty(Directory.GetFiles(run.WorkDirectory, "*.img"));

        var queues = await run.Management.GetQueuesAsync(run.VirtualHost);
        Assert.Equal(1, queues.Single(q => q.Name == "replication-state_error").Messages);

        foreach (var host in new[] { vma, worker, scheduler })
        {
            problems.AddRange(CheckLog(host));
        }

        // The names did reach the logs, escaped: the VMA's job lines carry the VM name in their scope.
        var vmaLog = await File.ReadAllTextAsync(vma.LogFile);
        Assert.Contains("VmName:" + SafeText.Escape(HostileNames.VmNames[3]), vmaLog, StringComparison.Ordinal);
        Assert.Contains(SafeText.Escape(badId), await File.ReadAllTextAsync(worker.LogFile), StringComparison.Ordinal);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>Every line of a host's output is one event (or a stack frame under one), with no raw control character.</summary>
    private static IEnumerable<string> CheckLog(HostProcess host)
    {
        var lines = File.ReadAllText(host.LogFile).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            foreach (var c in HostileNames.RawControls(line, allowNewlines: false))
            {
                yield return $"{host.Name} log line {i + 1}: raw {c}: {HostileNames.Visible(line)}";
            }

            if (line.Length > 0 && !EventLine().IsMatch(line))
            {
                yield return $"{host.Name} log line {i + 1} does not start an event: {HostileNames.Visible(line)}";
            }
        }
    }

    /// <summary>A timestamped event, the harness's header, or a stack trace's frame.</summary>
    [GeneratedRegex(@"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z |==== |\s+at |\s*--- End of |\s*---> )")]
    private static partial Regex EventLine();
}
