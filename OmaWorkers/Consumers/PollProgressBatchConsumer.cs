using MassTransit;
using Migration.Contracts;

namespace Migration.OmaWorkers.Consumers;

/// <summary>
/// Asks one VMA for the progress of a batch of its jobs (<see cref="ProgressPoller"/>: one batch request, or one GET per
/// job for a VMA without the batch endpoint) and reports each job's answer as a poll of it would.
/// </summary>
public sealed class PollProgressBatchConsumer(ProgressPoller poller) : IConsumer<PollProgressBatch>
{
    public Task Consume(ConsumeContext<PollProgressBatch> context) =>
        poller.PollAsync(PollRequest.Of(context.Message), context, context.CancellationToken);
}
