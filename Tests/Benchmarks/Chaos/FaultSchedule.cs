using System.Globalization;
using Migration.Benchmarks.Chaos.Faults;

namespace Migration.Benchmarks.Chaos;

/// <summary>
/// The run's faults: the one-off faults in time order, each at its offset (later when the one before took longer), and
/// beside them the worker kills until the run says the jobs have ended.
/// </summary>
public sealed class FaultSchedule(IReadOnlyList<IFault> faults, WorkerKills workerKills)
{
    public static FaultSchedule For(ChaosSettings settings, ChaosCluster cluster) => new(
        [
            new SchedulerRestart(cluster.Schedulers[0], settings.SchedulerAAt, graceful: true),
            new RabbitMqRestart(cluster.Servers, settings.RabbitAt),
            new PostgresOutage(cluster.Servers, settings.PostgresAt, settings.PostgresDown),
            new VmaRestart(cluster.Vma, settings.VmaAt),
            new SchedulerRestart(cluster.Schedulers[1], settings.SchedulerBAt, graceful: false),
        ],
        new WorkerKills(cluster.Workers, settings.WorkerKillEvery, settings.WorkerDown));

    /// <summary>Runs the one-off faults; the worker kills go on until <paramref name="stopKills"/> is cancelled.</summary>
    public (Task OneOffs, Task Kills) Start(FaultLog log, CancellationToken stopKills, CancellationToken cancellationToken) =>
        (RunOneOffsAsync(log, cancellationToken), workerKills.RunAsync(log, stopKills));

    private async Task RunOneOffsAsync(FaultLog log, CancellationToken cancellationToken)
    {
        var start = log.Seconds;
        foreach (var fault in faults.OrderBy(f => f.At))
        {
            var wait = fault.At - (log.Seconds - start);
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(wait), cancellationToken);
            }

            log.Write(string.Create(CultureInfo.InvariantCulture, $"fault at +{log.Seconds - start:0.0} s (planned {fault.At}): {fault.Name}; jobs {log.JobState?.Invoke()}"));
            try
            {
                await fault.RunAsync(log, cancellationToken);
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or TimeoutException)
            {
                log.Problem($"{fault.Name} could not be done: {ex.Message.Split('\n')[0]}");
            }
        }
    }
}
