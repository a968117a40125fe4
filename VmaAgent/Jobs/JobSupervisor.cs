using Microsoft.Extensions.Options;
using Migration.VmaAgent.Configuration;

namespace Migration.VmaAgent.Jobs;

/// <summary>Drops finished jobs after their retention, and on shutdown waits until every job has ended (Failed: cancelled).</summary>
public sealed partial class JobSupervisor(
    JobRegistry registry,
    JobRunner runner,
    TimeProvider time,
    IOptions<VmaOptions> options,
    ILogger<JobSupervisor> logger) : BackgroundService
{
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await runner.WhenAllStoppedAsync().WaitAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Jobs.RetentionSweepInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var removed = registry.RemoveExpired();
                if (removed > 0)
                {
                    LogRemoved(removed, options.Value.Jobs.Retention);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host shutdown.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Dropped {Count} finished jobs older than the retention of {Retention}")]
    private partial void LogRemoved(int count, TimeSpan retention);
}
