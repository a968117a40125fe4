using System.Collections.Concurrent;
using MassTransit;
using Migration.Contracts;

namespace Migration.Tests.Scheduler.Polling;

/// <summary>Every PollProgress a worker would have received.</summary>
public sealed class RecordedPolls
{
    public ConcurrentQueue<PollProgress> Received { get; } = new();
}

public sealed class PollRecorder(RecordedPolls polls) : IConsumer<PollProgress>
{
    public Task Consume(ConsumeContext<PollProgress> context)
    {
        polls.Received.Enqueue(context.Message);
        return Task.CompletedTask;
    }
}
