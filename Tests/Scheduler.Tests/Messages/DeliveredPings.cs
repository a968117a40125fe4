using System.Collections.Concurrent;
using MassTransit;

namespace Migration.Tests.Scheduler.Messages;

public sealed record Delivery(ScheduledPing Message, DateTimeOffset ReceivedAt, Guid? TokenId, Guid? MessageId);

/// <summary>Every ping the target endpoint received, shared across the hosts of one test.</summary>
public sealed class DeliveredPings
{
    readonly ConcurrentQueue<Delivery> _received = new();
    readonly SemaphoreSlim _signal = new(0);

    public IReadOnlyCollection<Delivery> All => _received.ToArray();

    public void Add(Delivery delivery)
    {
        _received.Enqueue(delivery);
        _signal.Release();
    }

    public async Task<Delivery?> WaitFor(Guid pingId, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            if (_received.FirstOrDefault(d => d.Message.Id == pingId) is { } found)
            {
                return found;
            }

            var left = deadline - DateTimeOffset.UtcNow;
            if (left <= TimeSpan.Zero || !await _signal.WaitAsync(left))
            {
                return _received.FirstOrDefault(d => d.Message.Id == pingId);
            }
        }
    }
}

public sealed class PingConsumer(DeliveredPings deliveries) : IConsumer<ScheduledPing>
{
    public const string Queue = "scheduled-ping-target";

    public Task Consume(ConsumeContext<ScheduledPing> context)
    {
        deliveries.Add(new Delivery(context.Message, DateTimeOffset.UtcNow, context.GetSchedulingTokenId(), context.MessageId));
        return Task.CompletedTask;
    }
}
