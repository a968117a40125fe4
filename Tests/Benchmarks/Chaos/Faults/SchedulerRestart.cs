namespace Migration.Benchmarks.Chaos.Faults;

/// <summary>One scheduler replica restarted: by SIGTERM (a rolling restart) or by SIGKILL (a crash), then started again.</summary>
public sealed class SchedulerRestart(ChaosHost scheduler, double at, bool graceful) : IFault
{
    public double At => at;

    public string Name => $"{scheduler.Name} {(graceful ? "SIGTERM" : "SIGKILL")} + start";

    public async Task RunAsync(FaultLog log, CancellationToken cancellationToken)
    {
        if (graceful)
        {
            await scheduler.StopAsync(TimeSpan.FromSeconds(40));
        }
        else
        {
            await scheduler.KillAsync();
        }

        log.Write($"{scheduler.Name} {(graceful ? "stopped (SIGTERM)" : "killed (SIGKILL)")}; starting it again");
        await scheduler.StartAsync();
        await log.WaitReadyAsync(scheduler, TimeSpan.FromSeconds(120));
    }
}
