using MassTransit;
using Migration.Contracts;

namespace Migration.OmaWorkers.Consumers;

/// <summary>Asks the VMA for one job's progress (<see cref="ProgressPoller"/>: one GET) and reports what it saw.</summary>
public sealed class PollProgressConsumer(ProgressPoller poller) : IConsumer<PollProgress>
{
    public Task Consume(ConsumeContext<PollProgress> context) =>
        poller.PollAsync(PollRequest.Of(context.Message), context, context.CancellationToken);
}
