using System.Globalization;

namespace Migration.Benchmarks.Chaos.Faults;

/// <summary>
/// Every interval one worker, in turn, killed with SIGKILL and started again shortly after, until cancelled. Only a
/// worker that is ready is killed (one still starting is left to start; that tick is skipped when no worker is ready):
/// on a loaded machine a start takes longer than the interval, and killing starting workers would only measure that.
/// </summary>
public sealed class WorkerKills(ChaosHost[] workers, double everySeconds, double downSeconds)
{
    public string Name => string.Create(CultureInfo.InvariantCulture, $"kill -9 a worker every {everySeconds} s");

    public async Task RunAsync(FaultLog log, CancellationToken cancellationToken)
    {
        var next = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(everySeconds));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var worker = Enumerable.Range(0, workers.Length).Select(i => workers[(next + i) % workers.Length]).FirstOrDefault(w => w.IsReady);
                if (worker is null)
                {
                    log.SkippedWorkerKills++;
                    continue;
                }

                next = (Array.IndexOf(workers, worker) + 1) % workers.Length;
                await worker.KillAsync();
                log.WorkerKills++;
                log.Write($"{worker.Name} killed (SIGKILL), kill {log.WorkerKills}");
                await Task.Delay(TimeSpan.FromSeconds(downSeconds), cancellationToken);
                await worker.StartAsync();
            }
        }
        catch (OperationCanceledException)
        {
            // the run is over
        }
    }
}
