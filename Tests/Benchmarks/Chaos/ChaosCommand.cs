using System.Diagnostics;
using System.Globalization;
using Migration.Benchmarks.Pipeline;

namespace Migration.Benchmarks.Chaos;

/// <summary>
/// <c>chaos --jobs N</c>: N jobs through the real processes while faults hit every part of the system, then one line
/// per figure and, when everything held, <see cref="ChaosFigures.HoldsLine"/>. Exit code 0 when it held, 1 when not,
/// 2 when the run could not be set up.
/// </summary>
public static class ChaosCommand
{
    public const string Command = "chaos";

    public static async Task<int> RunAsync(string[] arguments)
    {
        var settings = ChaosSettings.Parse(arguments);
        Console.WriteLine(settings.Header);
        var failed = true;
        await using var cluster = await ChaosCluster.CreateAsync(settings);
        try
        {
            var figures = await RunAsync(settings, cluster);
            failed = !figures.Holds;
            return failed ? 1 : 0;
        }
        finally
        {
            Console.Error.WriteLine(failed || settings.Keep
                ? $"[chaos] logs in {cluster.RunDirectory}; database and virtual host {cluster.RunId}{(settings.Keep ? " kept" : " dropped")}"
                : $"[chaos] logs in {cluster.RunDirectory}");
        }
    }

    private static async Task<ChaosFigures> RunAsync(ChaosSettings settings, ChaosCluster cluster)
    {
        var sampler = new RowSampler(cluster.ConnectionString);
        var log = new FaultLog { JobState = () => Counts(sampler) };
        log.Write($"run {cluster.RunId}: starting the hosts (logs in {cluster.RunDirectory})");
        await cluster.StartAllAsync();
        log.Write($"hosts ready; publishing {settings.Jobs} StartReplication");
        await cluster.PublishStartsAsync();

        using var stopSampling = new CancellationTokenSource();
        var sampling = sampler.RunAsync(TimeSpan.FromSeconds(1), stopSampling.Token);
        using var stopSupervising = new CancellationTokenSource();
        var supervising = new HostSupervisor([.. cluster.Hosts], log).RunAsync(stopSupervising.Token);
        var clock = Stopwatch.StartNew();
        await WaitAsync(log, () => Live(sampler, "streaming") * 2 >= settings.Jobs, TimeSpan.FromSeconds(90 + (settings.Jobs * 0.2)), "half the jobs streaming");
        log.Write(string.Create(CultureInfo.InvariantCulture, $"{Counts(sampler)} {clock.Elapsed.TotalSeconds:0} s after the publish: fault schedule starts"));

        using var stopKills = new CancellationTokenSource();
        var (oneOffs, kills) = FaultSchedule.For(settings, cluster).Start(log, stopKills.Token, CancellationToken.None);
        await oneOffs;
        log.Write($"last one-off fault done; waiting up to {settings.DrainSeconds} s for every job to end");
        await WaitAsync(log, () => Finished(sampler) >= settings.Jobs, TimeSpan.FromSeconds(settings.DrainSeconds), "every job finished");
        await stopKills.CancelAsync();
        await kills;

        // Every host up again (the last kill may have left a worker down) and consuming before the queues are read.
        foreach (var host in cluster.Hosts.Where(h => !h.IsRunning))
        {
            await host.StartAsync();
        }

        foreach (var host in cluster.Hosts)
        {
            await log.WaitReadyAsync(host, TimeSpan.FromSeconds(120));
        }

        await stopSupervising.CancelAsync();
        await supervising;
        await cluster.WaitForConsumersAsync(TimeSpan.FromSeconds(120));
        await stopSampling.CancelAsync();
        await sampling;
        await sampler.SampleAsync(CancellationToken.None);
        log.Write($"auditing: {Counts(sampler)}; {log.WorkerKills} worker kills; {sampler.Samples} row samples ({sampler.FailedSamples} failed while PostgreSQL was down)");

        var figures = await new ChaosAudit(cluster, log, sampler).RunAsync();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"machine: {Environment.ProcessorCount} cores, load average {ProcStats.LoadAverage()} at the end; run {log.Seconds:0} s"));
        Console.WriteLine("faults:");
        foreach (var entry in log.Entries)
        {
            Console.WriteLine("  " + entry);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"worker kills: {log.WorkerKills} (ticks skipped because no worker was ready: {log.SkippedWorkerKills})"));
        foreach (var line in figures.Lines())
        {
            Console.WriteLine(line);
        }

        Console.WriteLine(figures.FinalLine);
        return figures;
    }

    private static async Task WaitAsync(FaultLog log, Func<bool> done, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        while (!done())
        {
            if (clock.Elapsed > timeout)
            {
                log.Write($"not {what} within {timeout}: going on ({Counts(log.JobState)})");
                return;
            }

            if (clock.Elapsed - lastReport >= TimeSpan.FromSeconds(15))
            {
                log.Write($"waiting for {what}: {log.JobState?.Invoke()}");
                lastReport = clock.Elapsed;
            }

            await Task.Delay(500);
        }
    }

    private static string Counts(Func<string>? state) => state?.Invoke() ?? "";

    private static string Counts(RowSampler sampler) =>
        sampler.LastCounts.Count == 0 ? "no rows yet" : string.Join(", ", sampler.LastCounts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Value} {c.Key}"));

    private static int Live(RowSampler sampler, string status) => sampler.LastCounts.GetValueOrDefault(status);

    private static int Finished(RowSampler sampler) => Live(sampler, "completed") + Live(sampler, "failed");
}
