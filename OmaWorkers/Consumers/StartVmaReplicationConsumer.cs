using MassTransit;
using Migration.Contracts;
using Migration.Contracts.Vma;
using Migration.OmaWorkers.Vma;

namespace Migration.OmaWorkers.Consumers;

/// <summary>
/// Calls the VMA's start endpoint. A refusal (4xx) fails the job through the saga; an unreachable VMA is left to the
/// polls: they fail, a 404 sends the start again, and the contact timeout ends the job if the VMA never answers.
/// </summary>
public sealed partial class StartVmaReplicationConsumer(VmaClient vma, ILogger<StartVmaReplicationConsumer> logger)
    : IConsumer<StartVmaReplication>
{
    public async Task Consume(ConsumeContext<StartVmaReplication> context)
    {
        var command = context.Message;
        var request = new StartReplicationRequest
        {
            JobId = command.JobId,
            Vm = command.Vm,
            SyncType = command.SyncType,
            PreviousChangeIds = command.PreviousChangeIds,
            Target = command.Target,
        };
        var result = await vma.StartAsync(command.VmaUrl, request, context.CancellationToken);
        switch (result.Outcome)
        {
            case VmaCallOutcome.Accepted:
                LogAccepted(logger, command.JobId, command.VmaUrl);
                break;
            case VmaCallOutcome.Rejected:
                LogRejected(logger, command.JobId, command.VmaUrl, result.HttpStatus, result.Detail);
                await context.Publish(new VmaStartRejected
                {
                    JobId = command.JobId,
                    HttpStatus = result.HttpStatus ?? 400,
                    Reason = result.Detail,
                });
                break;
            default:
                LogUnreachable(logger, command.JobId, command.VmaUrl, result.Detail);
                break;
        }
    }

    [LoggerMessage(LogLevel.Information, "VMA {VmaUrl} accepted job {JobId}")]
    private static partial void LogAccepted(ILogger logger, string jobId, string vmaUrl);

    [LoggerMessage(LogLevel.Error, "VMA {VmaUrl} refused job {JobId} with HTTP {HttpStatus}: {Detail}")]
    private static partial void LogRejected(ILogger logger, string jobId, string vmaUrl, int? httpStatus, string detail);

    [LoggerMessage(LogLevel.Warning, "VMA {VmaUrl} could not be reached to start job {JobId} ({Detail}); polling will retry")]
    private static partial void LogUnreachable(ILogger logger, string jobId, string vmaUrl, string detail);
}
