using MassTransit;
using Migration.Contracts;

namespace Migration.OmaWorkers.Saga.Activities;

/// <summary>An operator cancelled the job: the VMA is told to stop, and the job fails as cancelled.</summary>
public sealed class CancelJobActivity(JobFailure failure) : SagaActivity<CancelReplication>
{
    protected override async Task Run(ReplicationState job, CancelReplication cancel, ConsumeContext context)
    {
        await context.Publish(new CancelVmaReplication { JobId = job.JobId, VmaUrl = job.VmaUrl }, context.CancellationToken);
        await failure.FailAsync(job, FailureKind.Cancelled, $"Cancelled: {cancel.Reason ?? "cancelled by an operator"}", progress: null, context);
    }
}
