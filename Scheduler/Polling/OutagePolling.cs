using MassTransit;
using Microsoft.Extensions.Options;
using Migration.Oma;
using Migration.Oma.Persistence;

namespace Migration.Scheduler.Polling;

/// <summary>
/// Keeps polling through a database outage (the seed: "non-fatal errors logged but don't stop polling"). The Quartz
/// sweep cannot fire while its store, the database, is down; every poll interval this service asks the database for
/// one due job, and when that fails it publishes polls for the jobs this process's sweeps last saw, so contact with
/// the VMAs goes on and the saga writes what it learnt once the database is back.
/// </summary>
/// <remarks>
/// Only a node that has run sweeps knows jobs; in a cluster of schedulers that each ran some, a job may be polled once
/// per node during the outage (the saga ignores duplicate observations). Jobs not seen due for the contact timeout
/// are dropped from the list.
/// </remarks>
public sealed partial class OutagePolling(
    IServiceScopeFactory scopes,
    KnownActiveJobs known,
    RecentPolls recentPolls,
    TimeProvider time,
    IOptions<TrackingOptions> tracking,
    ILogger<OutagePolling> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(tracking.Value.PollInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await TickAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogTickFailed(logger, ex);
            }
        }
    }

    /// <summary>One tick: nothing while the database answers, else polls for the known jobs. Returns polls published.</summary>
    public async Task<int> TickAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var scope = scopes.CreateAsyncScope();
        try
        {
            await scope.ServiceProvider.GetRequiredService<IJobQueries>().GetDuePollsAsync(now, 1, cancellationToken);
            return 0;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogDatabaseDown(logger, ex.Message);
        }

        var publish = scope.ServiceProvider.GetRequiredService<IPublishEndpoint>();
        var published = await recentPolls.PublishAsync(
            publish, known.SeenSince(now - tracking.Value.ContactTimeout), now, requestedAt: now, cancellationToken);
        if (published > 0)
        {
            LogPolled(logger, published);
        }

        return published;
    }

    [LoggerMessage(LogLevel.Warning, "The database cannot be read ({Error}): polling the jobs last seen active without it")]
    private static partial void LogDatabaseDown(ILogger logger, string error);

    [LoggerMessage(LogLevel.Information, "Published {Count} polls while the database is down")]
    private static partial void LogPolled(ILogger logger, int count);

    [LoggerMessage(LogLevel.Error, "Outage polling tick failed")]
    private static partial void LogTickFailed(ILogger logger, Exception exception);
}
