using System.Globalization;
using MassTransit;
using Migration.Contracts;

namespace Migration.OmaWorkers.Saga.Activities;

/// <summary>The VMA answered that it does not know the job (it restarted): the start request is sent again.</summary>
public sealed class RestartOnVmaActivity(JobLog jobLog) : SagaActivity<ProgressPollFailed>
{
    protected override Task Run(ReplicationState job, ProgressPollFailed failed, ConsumeContext context)
    {
        jobLog.Write(job, "vma-restarted", "The VMA does not know this job (restarted?): sending the start request again",
            $"vma-restarted-{failed.FailedAt.UtcTicks.ToString(CultureInfo.InvariantCulture)}", LogLevel.Warning);
        return context.Publish(VmaStartRequest.Of(job), context.CancellationToken);
    }
}
