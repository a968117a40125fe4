using System.Globalization;
using System.Text.Json;
using Migration.Contracts;
using Migration.Contracts.Status;
using Migration.Contracts.Vma;
using Migration.Tests.Cluster.Infrastructure;
using Migration.Tests.Support;
using Migration.VmaAgent.Nbd;
using Xunit.Abstractions;

namespace Migration.Tests.Cluster;

/// <summary>
/// A real Prometheus scrapes the real hosts (VMA, worker, scheduler) and RabbitMQ's own exporter during a short run
/// with completed jobs, a job whose VMA is unreachable (poll failures, backoff, contact timeout) and a command that
/// can never run (an _error queue message), and a second VMA on the vCenter simulator writing to nbdkit exports (so
/// the vCenter and NBD call latencies have calls to show): every panel of the Grafana dashboard returns data through Prometheus's
/// HTTP API, and the alert rules load, evaluate cleanly and fire where the run gave them cause.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PrometheusDashboardTests(ITestOutputHelper output)
{
    // The second VMA's VM: its disks go to nbdkit exports, read through vCenter (vim25 calls, NBD writes).
    private const string VSphereVm = "DC0_C0_RP0_VM1";

    [Fact]
    public async Task Every_dashboard_panel_returns_data_and_the_alerts_evaluate_on_a_real_Prometheus()
    {
        var rabbitExporter = Environment.GetEnvironmentVariable("MIGRATION_TEST_RABBITMQ_PROMETHEUS")
            ?? throw new InvalidOperationException("MIGRATION_TEST_RABBITMQ_PROMETHEUS is not set: run under ./test.sh (scripts/servers.sh servers_env)");
        var started = DateTimeOffset.UtcNow.AddSeconds(-5);
        await using var run = await ClusterRun.CreateAsync("prometheus", output);
        await using var sim = await VcSim.StartAsync();
        var sockets = Path.Combine(Path.GetTempPath(), "prom-nbd-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(sockets);
        var exports = new List<NbdkitProcess>();
        try
        {
            var disks = new Dictionary<string, TargetDisk>(StringComparer.Ordinal);
            foreach (var disk in (await sim.VmAsync(VSphereVm)).Disks)
            {
                await sim.WriteAsync(VSphereVm, disk.Key, 1 << 20, VcSim.Pattern(300_000, disk.Key));
                var image = Path.Combine(run.WorkDirectory, "targets", "nbd", disk.Id + ".img");
                Directory.CreateDirectory(Path.GetDirectoryName(image)!);
                await using (var file = File.Create(image))
                {
                    file.SetLength(disk.Capacity);
                }

                var export = await NbdkitProcess.StartAsync("nbdkit", Path.Combine(sockets, disk.Id + ".sock"), ["file", "file=" + image], TimeSpan.FromSeconds(15), default);
                exports.Add(export);
                disks[disk.Id] = new TargetDisk { Uri = export.Uri.ToString() };
            }

            await RunAsync(run, sim, new ReplicationTarget { Disks = disks }, sockets, rabbitExporter, started);
        }
        finally
        {
            foreach (var export in exports)
            {
                await export.DisposeAsync();
            }

            Directory.Delete(sockets, recursive: true);
        }
    }

    private async Task RunAsync(ClusterRun run, VcSim sim, ReplicationTarget nbdTarget, string sockets, string rabbitExporter, DateTimeOffset started)
    {
        var tracking = new Dictionary<string, string>
        {
            ["Tracking__ContactTimeout"] = "00:00:08",
            ["Tracking__FailuresBeforeBackoff"] = "2",
            ["Tracking__MaxPollInterval"] = "00:00:04",
            ["Telemetry__JobGaugeInterval"] = "00:00:01",
        };
        var vma = run.StartVma("vma", vmCount: 3, throughputCapPerJob: "2MiB");
        var vsphereVma = run.StartVma("vma-vsphere", vmCount: 1, throughputCapPerJob: "8MiB", new Dictionary<string, string>
        {
            ["Vma__Source"] = "VSphere",
            ["Vma__VSphere__Url"] = sim.SdkUrl.ToString(),
            ["Vma__VSphere__Username"] = VcSim.Username,
            ["Vma__VSphere__Password"] = VcSim.Password,
            ["Vma__VSphere__CaFile"] = sim.CaFile,
            ["Vma__VSphere__TaskPollInterval"] = "00:00:00.100",
            ["Vma__Jobs__StageDelay"] = "00:00:00",
            ["Vma__Target__AllowedNbdHosts__0"] = "unix:" + sockets,
        });
        var worker = run.StartWorker("worker", tracking);
        var scheduler = run.StartScheduler("scheduler", tracking);
        await ClusterRun.WaitReadyAsync(vma, vsphereVma, worker, scheduler);

        using var prometheus = PrometheusServer.Start(
            run.WorkDirectory,
            new Dictionary<string, string[]>
            {
                ["vma"] = [vma.Url.Authority, vsphereVma.Url.Authority],
                ["oma-workers"] = [worker.Url.Authority],
                ["scheduler"] = [scheduler.Url.Authority],
                ["rabbitmq"] = [new Uri(rabbitExporter).Authority],
            },
            Path.Combine(HostProcess.RepositoryRoot, "deploy", "prometheus", "alerts.yaml"));
        await prometheus.WaitReadyAsync(TimeSpan.FromSeconds(60));

        var unreachable = new Uri($"http://127.0.0.1:{LoopbackPorts.Next()}");
        var jobs = ClusterRun.Jobs("prom", 3, vma.Url);
        jobs.Add(("prom-unreachable", "demo-vm-1", unreachable));
        await run.PublishStartsAsync(jobs);
        await run.PublishStartsAsync([("", "demo-vm-1", vma.Url)]); // no job id: a command that can never run
        // Two syncs one after the other: a counter's first scrape is no increase to rate(), the second sync's calls are.
        await PublishVSphereAsync(run, vsphereVma, nbdTarget, "prom-vsphere-full", SyncType.Full);
        await run.WaitForJobsAsync(["prom-vsphere-full"], new ProgressMonitor(), TimeSpan.FromMinutes(2));
        await Task.Delay(TimeSpan.FromSeconds(2));
        foreach (var disk in (await sim.VmAsync(VSphereVm)).Disks)
        {
            await sim.WriteAsync(VSphereVm, disk.Key, 3 << 20, VcSim.Pattern(200_000, disk.Key + 1));
        }

        await PublishVSphereAsync(run, vsphereVma, nbdTarget, "prom-vsphere-incr", SyncType.Auto);
        var finished = await run.WaitForJobsAsync([.. jobs.Select(j => j.JobId), "prom-vsphere-full", "prom-vsphere-incr"], new ProgressMonitor(), TimeSpan.FromMinutes(2));
        Assert.Equal("failed", Assert.Single(finished, j => j.Id == "prom-unreachable").Status);
        Assert.All(finished.Where(j => j.Id != "prom-unreachable"), j => Assert.Equal("completed", j.Status));

        // The run is over once Prometheus has scraped the timeout and the finished jobs; a few more scrapes give
        // every rate() window two points after the last change.
        await WaitForAsync(prometheus, """sum(migration_job_events_total{event="timeout"}) > 0""", TimeSpan.FromSeconds(30));
        await WaitForAsync(prometheus, """max(migration_jobs{status="completed"}) >= 3""", TimeSpan.FromSeconds(30));
        await WaitForAsync(prometheus, "sum(rate(vma_nbd_call_duration_seconds_count[5m])) > 0", TimeSpan.FromSeconds(30));
        await WaitForAsync(prometheus, "sum(rate(vma_vcenter_call_duration_seconds_count[5m])) > 0", TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(3));

        var targets = await prometheus.TargetsAsync();
        foreach (var target in targets.GetProperty("activeTargets").EnumerateArray())
        {
            output.WriteLine($"target {target.GetProperty("labels").GetProperty("job")}: {target.GetProperty("health")} {target.GetProperty("lastError")}");
        }

        var empty = new List<string>();
        var panels = DashboardPanels();
        Assert.True(panels.Count >= 15, $"only {panels.Count} panels");
        foreach (var (title, expr) in panels)
        {
            var data = await prometheus.QueryRangeAsync(expr, started);
            var series = data.GetProperty("result").EnumerateArray().ToList();
            var points = series.Sum(s => s.GetProperty("values").EnumerateArray().Count(v => v[1].GetString() is not ("NaN" or "+Inf" or "-Inf")));
            output.WriteLine(FormattableString.Invariant($"{title}: {series.Count} series, {points} points  [{expr}]"));
            if (points == 0)
            {
                empty.Add($"{title}: {expr}");
            }
        }

        Assert.True(empty.Count == 0, "panels without data:\n" + string.Join('\n', empty));

        // The rules load and evaluate; the run's contact timeout fires its alert, the _error message puts its alert on the way.
        var states = await WaitForAlertAsync(prometheus, "ReplicationContactTimeouts", "firing", TimeSpan.FromSeconds(20));
        Assert.All(states, s => Assert.True(s.Health == "ok", $"{s.Name}: {s.Health} {s.Error}"));
        Assert.Equal(6, states.Count);
        var errorQueue = await WaitForAlertAsync(prometheus, "ReplicationErrorQueueMessages", "pending", TimeSpan.FromSeconds(20));
        Assert.Contains(errorQueue, s => s.Name == "ReplicationErrorQueueMessages" && s.State is "pending" or "firing");

        Assert.All(finished.Where(j => j.Id.StartsWith("prom-vsphere-", StringComparison.Ordinal)), j => Assert.True(j.Status == "completed", j.ToString()));
        foreach (var process in new[] { worker, scheduler })
        {
            Assert.Equal(0, await process.StopGracefullyAsync(TimeSpan.FromSeconds(40)));
        }
    }

    private static Task PublishVSphereAsync(ClusterRun run, HostProcess vma, ReplicationTarget target, string jobId, SyncType syncType) =>
        run.PublishAsync([new StartReplication
        {
            JobId = jobId,
            VmaUrl = vma.Url.ToString().TrimEnd('/'),
            Vm = new VmReference { Name = VSphereVm },
            SyncType = syncType,
            Target = target,
        }]);

    private static List<(string Title, string Expr)> DashboardPanels()
    {
        var path = Path.Combine(HostProcess.RepositoryRoot, "deploy", "grafana", "replication-tracking.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var panels = new List<(string, string)>();
        foreach (var panel in document.RootElement.GetProperty("panels").EnumerateArray())
        {
            var title = panel.GetProperty("title").GetString()!;
            foreach (var target in panel.GetProperty("targets").EnumerateArray())
            {
                panels.Add((title, target.GetProperty("expr").GetString()!));
            }
        }

        return panels;
    }

    private static async Task WaitForAsync(PrometheusServer prometheus, string expr, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if ((await prometheus.QueryAsync(expr)).GetProperty("result").GetArrayLength() > 0)
            {
                return;
            }

            await Task.Delay(500);
        }

        throw new TimeoutException($"Prometheus never saw {expr} within {timeout}");
    }

    private sealed record RuleState(string Name, string State, string Health, string? Error);

    private static async Task<List<RuleState>> WaitForAlertAsync(PrometheusServer prometheus, string alert, string atLeast, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        List<RuleState> states = [];
        while (DateTime.UtcNow < deadline)
        {
            var data = await prometheus.RulesAsync();
            states = data.GetProperty("groups").EnumerateArray()
                .SelectMany(g => g.GetProperty("rules").EnumerateArray())
                .Select(r => new RuleState(
                    r.GetProperty("name").GetString()!,
                    r.TryGetProperty("state", out var state) ? state.GetString()! : "",
                    r.GetProperty("health").GetString()!,
                    r.TryGetProperty("lastError", out var error) ? error.GetString() : null))
                .ToList();
            var current = states.FirstOrDefault(s => s.Name == alert)?.State;
            if (current == "firing" || (atLeast == "pending" && current == "pending"))
            {
                return states;
            }

            await Task.Delay(500);
        }

        throw new TimeoutException(string.Create(CultureInfo.InvariantCulture,
            $"{alert} was not {atLeast} within {timeout}: {string.Join("; ", states.Select(s => $"{s.Name}={s.State}/{s.Health}"))}"));
    }
}
