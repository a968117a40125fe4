using MassTransit;
using Microsoft.Extensions.Options;
using Migration.Contracts;
using Migration.Oma;
using Migration.Oma.Persistence;

namespace Migration.Scheduler.Polling;

/// <summary>
/// No job is forgotten: each sweep also looks for live jobs with no successful contact for longer than the contact
/// timeout plus its grace, and sends the saga a <see cref="ContactTimeout"/> for each. The saga's own scheduled
/// timeout normally fires first; this catches one that was lost (an in-memory scheduler that restarted, a Quartz
/// store that lost it). The saga stays the only writer of job state and checks the deadline itself, so a second
/// timeout for the same job changes nothing.
/// </summary>
/// <remarks>A job is sent its timeout at most once per grace period from one node, while the saga catches up.</remarks>
public sealed partial class ContactTimeoutSweep(IOptions<TrackingOptions> tracking, ILogger<ContactTimeoutSweep> logger)
{
    private readonly Dictionary<string, DateTimeOffset> _sent = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Sends the overdue jobs their timeouts; returns how many were sent.</summary>
    public async Task<int> SendAsync(IPollSweepStore store, IPublishEndpoint publish, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var options = tracking.Value;
        var cutoff = now - options.ContactTimeout - options.ContactTimeoutGrace;
        var overdue = await store.GetOverdueAsync(cutoff, options.SweepBatchSize, cancellationToken);
        List<string> due;
        lock (_gate)
        {
            foreach (var old in _sent.Where(e => now - e.Value >= options.ContactTimeoutGrace).Select(e => e.Key).ToList())
            {
                _sent.Remove(old);
            }

            due = overdue.Where(jobId => !_sent.ContainsKey(jobId)).ToList();
        }

        if (due.Count == 0)
        {
            return 0;
        }

        await publish.PublishBatch(due.Select(jobId => new ContactTimeout { JobId = jobId }), cancellationToken);
        lock (_gate)
        {
            foreach (var jobId in due)
            {
                _sent[jobId] = now;
                LogSent(logger, jobId, options.ContactTimeout);
            }
        }

        return due.Count;
    }

    [LoggerMessage(LogLevel.Warning, "Job {JobId} has had no successful contact for longer than {ContactTimeout} and is still live: sent its contact timeout to the saga")]
    private static partial void LogSent(ILogger logger, string jobId, TimeSpan contactTimeout);
}
