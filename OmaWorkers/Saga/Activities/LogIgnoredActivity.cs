using MassTransit;

namespace Migration.OmaWorkers.Saga.Activities;

/// <summary>A command the job's state makes meaningless (a second start, a cancel after the end): logged, nothing written.</summary>
public sealed partial class LogIgnoredActivity<TMessage>(ILogger<LogIgnoredActivity<TMessage>> logger) : SagaActivity<TMessage>
    where TMessage : class
{
    protected override Task Run(ReplicationState job, TMessage message, ConsumeContext context)
    {
        LogIgnored(logger, typeof(TMessage).Name, job.JobId, job.CorrelationId, job.Status);
        return Task.CompletedTask;
    }

    [LoggerMessage(LogLevel.Information, "Ignored {Command} for job {JobId} (correlation {CorrelationId}) in status {Status}")]
    private static partial void LogIgnored(ILogger logger, string command, string jobId, Guid correlationId, string status);
}
