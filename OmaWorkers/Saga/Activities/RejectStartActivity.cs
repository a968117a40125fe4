using System.Globalization;
using MassTransit;
using Migration.Contracts;

namespace Migration.OmaWorkers.Saga.Activities;

/// <summary>The VMA refused the start request: the job fails.</summary>
public sealed class RejectStartActivity(JobFailure failure) : SagaActivity<VmaStartRejected>
{
    protected override Task Run(ReplicationState job, VmaStartRejected rejected, ConsumeContext context) =>
        failure.FailAsync(job, FailureKind.StartRejected,
            $"The VMA refused the start request (HTTP {rejected.HttpStatus.ToString(CultureInfo.InvariantCulture)}): {rejected.Reason}",
            progress: null, context);
}
