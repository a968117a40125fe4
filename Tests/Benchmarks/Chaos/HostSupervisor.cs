namespace Migration.Benchmarks.Chaos;

/// <summary>
/// What Kubernetes does for the run's hosts: one that exited without being told to (it refused to start while a server
/// was down, or crashed) is started again a moment later. The hosts keep the record of each such exit.
/// </summary>
public sealed class HostSupervisor(IReadOnlyList<ChaosHost> hosts, FaultLog log)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                foreach (var host in hosts)
                {
                    if (host.NoteUnexpectedExit() is { } exit)
                    {
                        log.Write($"exited by itself: {exit}; starting it again");
                        await host.StartAsync();
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // the run is over
        }
    }
}
