using MassTransit;
using Migration.Contracts;
using Migration.OmaWorkers.Vma;

namespace Migration.OmaWorkers.Consumers;

/// <summary>Best effort: tells the VMA to stop a job the saga has already failed as cancelled.</summary>
public sealed partial class CancelVmaReplicationConsumer(VmaClient vma, ILogger<CancelVmaReplicationConsumer> logger)
    : IConsumer<CancelVmaReplication>
{
    public async Task Consume(ConsumeContext<CancelVmaReplication> context)
    {
        var result = await vma.CancelAsync(context.Message.VmaUrl, context.Message.JobId, context.CancellationToken);
        LogResult(logger, context.Message.JobId, result.Outcome, result.HttpStatus);
    }

    [LoggerMessage(LogLevel.Information, "Cancel of job {JobId} at the VMA: {Outcome} (HTTP {HttpStatus})")]
    private static partial void LogResult(ILogger logger, string jobId, Vma.VmaCallOutcome outcome, int? httpStatus);
}
