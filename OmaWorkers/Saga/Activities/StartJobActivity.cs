using MassTransit;
using Microsoft.Extensions.Options;
using Migration.Contracts;
using Migration.Contracts.Status;
using Migration.Oma;
using Migration.Oma.Persistence;

namespace Migration.OmaWorkers.Saga.Activities;

/// <summary>A new job: its row from the command, the incremental's base change ids, "started", and the VMA start request.</summary>
public sealed class StartJobActivity(IReplicationStore store, JobLog jobLog, TimeProvider time, IOptions<TrackingOptions> options)
    : SagaActivity<StartReplication>
{
    protected override async Task Run(ReplicationState job, StartReplication command, ConsumeContext context)
    {
        var now = time.GetUtcNow();
        var vm = command.Vm!;
        job.JobId = command.JobId;
        job.VmaUrl = command.VmaUrl;
        job.VmName = vm.Display;
        job.VmRefKind = vm.Name is not null ? "name" : vm.Moref is not null ? "moref" : "uuid";
        job.RequestedSyncType = StatusMapping.ToDbSyncType(command.SyncType);
        job.TargetJson = command.Target is null ? null : ProgressRows.ToJson(command.Target);
        job.CreatedAt = now;
        job.UpdatedAt = now;
        job.NextPollAt = now + options.Value.PollInterval;

        var previous = command.SyncType == SyncType.Full
            ? new Dictionary<string, string>()
            : await store.GetLastChangeIdsAsync(job.VmName, context.CancellationToken);
        job.PreviousChangeIdsJson = ProgressRows.ToJson(previous);

        jobLog.Write(job, "started", JobLog.StartingPolling, "started");
        await context.Publish(VmaStartRequest.Of(job), context.CancellationToken);
    }
}
