using global::Quartz;

namespace Migration.Scheduler.Messages;

/// <summary>
/// Stores the one durable job that every scheduled-message trigger points at, once per process.
/// </summary>
/// <remarks>
/// Durable, so it stays when no message is pending; recoverable, so a node that dies while sending leaves the
/// firing to be run again by another node of the cluster.
/// </remarks>
public sealed class ScheduledMessageJobRegistration
{
    readonly SemaphoreSlim _gate = new(1, 1);
    IScheduler? _registeredWith;

    /// <summary>The job as it is stored: a batch of triggers is stored with it, replacing it by itself.</summary>
    public IJobDetail Job { get; } = JobBuilder.Create<ScheduledMessageJob>()
        .WithIdentity(ScheduledMessageData.JobKey)
        .WithDescription("Sends MassTransit messages scheduled through the scheduler endpoint")
        .StoreDurably(true)
        .RequestRecovery(true)
        .Build();

    public async Task EnsureAsync(IScheduler scheduler, CancellationToken cancellationToken)
    {
        if (ReferenceEquals(Volatile.Read(ref _registeredWith), scheduler))
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (ReferenceEquals(_registeredWith, scheduler))
            {
                return;
            }

            if (!await scheduler.Exists(ScheduledMessageData.JobKey, cancellationToken))
            {
                await scheduler.AddJob(Job, AddJobOptions.Replacing, cancellationToken);
            }

            Volatile.Write(ref _registeredWith, scheduler);
        }
        finally
        {
            _gate.Release();
        }
    }
}
