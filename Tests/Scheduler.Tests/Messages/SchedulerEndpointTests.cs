using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Migration.Scheduler.Messages;
using Migration.Tests.Scheduler.Support;
using Quartz;

namespace Migration.Tests.Scheduler.Messages;

/// <summary>The durable scheduler endpoint on a real Quartz ADO.NET store (PostgreSQL), bus in memory.</summary>
[Collection(PostgresCollection.Name)]
public sealed class SchedulerEndpointTests(PostgresDatabase database)
{
    static readonly Uri SchedulerQueue = new("queue:scheduler");
    static readonly Uri Target = new($"queue:{PingConsumer.Queue}");

    readonly string _schedulerName = "endpoint-" + Guid.NewGuid().ToString("N")[..8];
    readonly DeliveredPings _deliveries = new();

    [Fact]
    public async Task Scheduled_message_is_delivered_after_its_time_intact()
    {
        using var host = NewHost();
        await host.StartAsync();
        var ping = NewPing("after its time");
        var dueAt = DateTime.UtcNow.AddSeconds(1.5);

        var scheduled = await Scheduler(host).ScheduleSend(Target, dueAt, ping);
        var delivery = await _deliveries.WaitFor(ping.Id, TimeSpan.FromSeconds(20));
        await host.StopAsync();

        Assert.NotNull(delivery);
        Assert.True(delivery.ReceivedAt >= new DateTimeOffset(dueAt), $"delivered at {delivery.ReceivedAt:O}, due {dueAt:O}");
        Assert.Equal(ping, delivery.Message);
        Assert.Equal(scheduled.TokenId, delivery.TokenId);
        Assert.Single(_deliveries.All, d => d.Message.Id == ping.Id);
    }

    [Fact]
    public async Task Cancelled_message_is_never_delivered()
    {
        using var host = NewHost();
        await host.StartAsync();
        var cancelled = NewPing("cancelled");
        var control = NewPing("control");
        var scheduler = Scheduler(host);

        // Far enough ahead that a busy machine still cancels before it is due.
        var cancelledAt = DateTime.UtcNow.AddSeconds(4);

        var scheduled = await scheduler.ScheduleSend(Target, cancelledAt, cancelled);
        await WaitForTrigger(host, scheduled.TokenId, exists: true);
        await scheduler.CancelScheduledSend(Target, scheduled.TokenId);
        await WaitForTrigger(host, scheduled.TokenId, exists: false);
        await scheduler.ScheduleSend(Target, cancelledAt.AddSeconds(0.5), control);

        Assert.NotNull(await _deliveries.WaitFor(control.Id, TimeSpan.FromSeconds(20)));
        await Task.Delay(TimeSpan.FromSeconds(0.5));
        await host.StopAsync();
        Assert.DoesNotContain(_deliveries.All, d => d.Message.Id == cancelled.Id);
    }

    [Fact]
    public async Task Scheduling_the_same_token_again_replaces_the_first()
    {
        using var host = NewHost();
        await host.StartAsync();
        var first = NewPing("first");
        var second = NewPing("second");
        var endpoint = await host.Services.GetRequiredService<IBus>().GetSendEndpoint(SchedulerQueue);
        var tokenId = NewId.NextGuid();

        var firstAt = DateTime.UtcNow.AddSeconds(4);

        await endpoint.Send<MassTransit.Scheduling.ScheduleMessage>(ScheduleCommand(tokenId, firstAt, first));
        await WaitForTrigger(host, tokenId, exists: true);
        await endpoint.Send<MassTransit.Scheduling.ScheduleMessage>(ScheduleCommand(tokenId, DateTime.UtcNow.AddSeconds(1), second));

        Assert.NotNull(await _deliveries.WaitFor(second.Id, TimeSpan.FromSeconds(20)));
        var pastFirst = firstAt.AddSeconds(1) - DateTime.UtcNow;
        if (pastFirst > TimeSpan.Zero)
        {
            await Task.Delay(pastFirst);
        }

        await host.StopAsync();
        Assert.DoesNotContain(_deliveries.All, d => d.Message.Id == first.Id);
    }

    [Fact]
    public async Task A_burst_of_schedules_is_each_delivered_once_and_a_token_scheduled_twice_keeps_its_last()
    {
        using var host = NewHost();
        await host.StartAsync();
        var endpoint = await host.Services.GetRequiredService<IBus>().GetSendEndpoint(SchedulerQueue);
        var dueAt = DateTime.UtcNow.AddSeconds(3);
        var pings = Enumerable.Range(0, 250).Select(i => NewPing($"burst {i}")).ToList();

        // More than one batch, and one token scheduled twice inside the burst: its second schedule wins.
        var twice = NewId.NextGuid();
        var replaced = NewPing("replaced inside the burst");
        await endpoint.Send<MassTransit.Scheduling.ScheduleMessage>(ScheduleCommand(twice, dueAt, replaced));
        await Task.WhenAll(pings.Select(p => endpoint.Send<MassTransit.Scheduling.ScheduleMessage>(ScheduleCommand(NewId.NextGuid(), dueAt, p))));
        var kept = NewPing("kept inside the burst");
        await endpoint.Send<MassTransit.Scheduling.ScheduleMessage>(ScheduleCommand(twice, dueAt, kept));

        foreach (var ping in pings.Append(kept))
        {
            Assert.NotNull(await _deliveries.WaitFor(ping.Id, TimeSpan.FromSeconds(30)));
        }

        await Task.Delay(TimeSpan.FromSeconds(0.5));
        await host.StopAsync();
        Assert.DoesNotContain(_deliveries.All, d => d.Message.Id == replaced.Id);
        Assert.Equal(pings.Count + 1, _deliveries.All.Count);
    }

    [Fact]
    public async Task Scheduled_message_survives_a_scheduler_restart()
    {
        var ping = NewPing("survives a restart");
        var dueAt = DateTime.UtcNow.AddSeconds(4);
        using (var first = NewHost())
        {
            await first.StartAsync();
            var scheduled = await Scheduler(first).ScheduleSend(Target, dueAt, ping);
            await WaitForTrigger(first, scheduled.TokenId, exists: true);
            await first.StopAsync();
        }

        Assert.Empty(_deliveries.All);
        using var second = NewHost();
        await second.StartAsync();
        var delivery = await _deliveries.WaitFor(ping.Id, TimeSpan.FromSeconds(20));
        await second.StopAsync();

        Assert.NotNull(delivery);
        Assert.True(delivery.ReceivedAt >= new DateTimeOffset(dueAt));
        Assert.Equal(ping, delivery.Message);
    }

    IHost NewHost() => TestHosts.Build(
        TestHosts.Postgres(database.ConnectionString, _schedulerName),
        new FakeJobQueries(),
        bus => bus.AddConsumer<PingConsumer>().Endpoint(e => e.Name = PingConsumer.Queue),
        services => services.AddSingleton(_deliveries));

    static IMessageScheduler Scheduler(IHost host) =>
        host.Services.GetRequiredService<IBus>().CreateMessageScheduler(SchedulerQueue);

    static ScheduledPing NewPing(string text) => new()
    {
        Id = Guid.NewGuid(),
        Text = text,
        Detail = new PingDetail { Bytes = 123_456_789_012, At = new DateTimeOffset(2025, 9, 4, 12, 0, 10, TimeSpan.Zero) },
    };

    static object ScheduleCommand(Guid tokenId, DateTime scheduledTime, ScheduledPing ping) => new
    {
        CorrelationId = tokenId,
        ScheduledTime = scheduledTime,
        PayloadType = new[] { MessageUrn.ForTypeString<ScheduledPing>() },
        Destination = Target,
        Payload = ping,
    };

    static async Task WaitForTrigger(IHost host, Guid tokenId, bool exists)
    {
        var scheduler = await host.Services.GetRequiredService<ISchedulerFactory>().GetScheduler(CancellationToken.None);
        var key = ScheduledMessageData.TriggerKeyFor(tokenId);
        for (var i = 0; i < 100; i++)
        {
            if (await scheduler.Exists(key, CancellationToken.None) == exists)
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"trigger {key} {(exists ? "never appeared" : "was never removed")}");
    }
}
