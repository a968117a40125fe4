using MassTransit;
using Microsoft.Extensions.Options;
using Migration.Contracts;
using Migration.Oma;

namespace Migration.OmaWorkers.Saga.Activities;

/// <summary>No successful contact with the VMA within the contact timeout: the job fails.</summary>
public sealed class TimeOutActivity(JobFailure failure, IOptions<TrackingOptions> options) : SagaActivity<ContactTimeout>
{
    protected override Task Run(ReplicationState job, ContactTimeout message, ConsumeContext context)
    {
        var since = job.LastContactAt is null ? "since the job started" : $"since {job.LastContactAt:O}";
        return failure.FailAsync(job, FailureKind.ContactTimeout,
            $"{JobLog.ContactTimeoutExceeded}: no successful contact with the VMA at {job.VmaUrl} {since} (limit {options.Value.ContactTimeout})",
            progress: null, context);
    }
}
