using MassTransit;
using Migration.Contracts;

namespace Migration.OmaWorkers.Saga.Activities;

/// <summary>The VMA reported the job failed.</summary>
public sealed class FailJobActivity(JobFailure failure) : SagaActivity<ProgressObserved>
{
    protected override Task Run(ReplicationState job, ProgressObserved observed, ConsumeContext context) =>
        failure.FailAsync(job, FailureKind.VmaReported,
            observed.Progress.Error ?? "the VMA reported the job failed without a reason", observed.Progress, context);
}
