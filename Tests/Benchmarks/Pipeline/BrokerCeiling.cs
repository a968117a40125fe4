using System.Diagnostics;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Migration.Benchmarks.Pipeline;

/// <summary>
/// The broker's own ceiling on this machine: plain RabbitMQ.Client publishing persistent messages of a given size to a
/// durable queue with publisher confirms (each publish awaits its confirm, many in flight, as MassTransit does) while a
/// consumer on its own connection acks each delivery. What one queue can carry here with nothing else on top.
/// </summary>
public static class BrokerCeiling
{
    public sealed record Result(int MessageBytes, double Seconds, long Published, long Consumed)
    {
        public double PublishedPerSecond => Published / Seconds;

        public double ConsumedPerSecond => Consumed / Seconds;
    }

    public static async Task<Result> MeasureAsync(RabbitServer rabbit, string vhost, int messageBytes, TimeSpan duration)
    {
        var factory = new ConnectionFactory
        {
            HostName = rabbit.Host,
            Port = rabbit.Port,
            UserName = rabbit.User,
            Password = rabbit.Password,
            VirtualHost = vhost,
        };
        const string queue = "bench-broker-ceiling";
        await using var publishConnection = await factory.CreateConnectionAsync("bench-ceiling-publisher");
        await using var consumeConnection = await factory.CreateConnectionAsync("bench-ceiling-consumer");
        await using var consumeChannel = await consumeConnection.CreateChannelAsync();
        await consumeChannel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
        await consumeChannel.BasicQosAsync(0, 256, false);

        long consumed = 0;
        var consumer = new AsyncEventingBasicConsumer(consumeChannel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            Interlocked.Increment(ref consumed);
            await consumeChannel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
        };
        await consumeChannel.BasicConsumeAsync(queue, autoAck: false, consumer);

        var body = new byte[messageBytes];
        Random.Shared.NextBytes(body);
        var properties = new BasicProperties { Persistent = true, ContentType = "application/vnd.masstransit+json" };
        long published = 0;
        using var stop = new CancellationTokenSource();
        var channels = new List<IChannel>();
        for (var c = 0; c < 2; c++)
        {
            channels.Add(await publishConnection.CreateChannelAsync(new CreateChannelOptions(
                publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true)));
        }

        // Warm up for a second, then count over the measured duration.
        async Task PublishLoop(IChannel channel)
        {
            while (!stop.IsCancellationRequested)
            {
                await channel.BasicPublishAsync("", queue, mandatory: false, properties, body);
                Interlocked.Increment(ref published);
            }
        }

        var loops = channels.SelectMany(channel => Enumerable.Range(0, 32).Select(_ => Task.Run(() => PublishLoop(channel)))).ToList();
        await Task.Delay(TimeSpan.FromSeconds(1));
        var (published0, consumed0) = (Interlocked.Read(ref published), Interlocked.Read(ref consumed));
        var clock = Stopwatch.StartNew();
        await Task.Delay(duration);
        var (published1, consumed1) = (Interlocked.Read(ref published), Interlocked.Read(ref consumed));
        var seconds = clock.Elapsed.TotalSeconds;
        await stop.CancelAsync();
        try
        {
            await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
        }

        foreach (var channel in channels)
        {
            await channel.DisposeAsync();
        }

        await consumeChannel.QueueDeleteAsync(queue);
        return new Result(messageBytes, seconds, published1 - published0, consumed1 - consumed0);
    }

    /// <summary>
    /// The size of a real <c>ProgressObserved</c> of this run: a temporary queue bound to its exchange catches one
    /// (as MassTransit serialized it, envelope included), and is deleted.
    /// </summary>
    public static async Task<int?> CaptureMessageSizeAsync(RabbitServer rabbit, string vhost, string exchange, TimeSpan timeout)
    {
        var factory = new ConnectionFactory
        {
            HostName = rabbit.Host,
            Port = rabbit.Port,
            UserName = rabbit.User,
            Password = rabbit.Password,
            VirtualHost = vhost,
        };
        await using var connection = await factory.CreateConnectionAsync("bench-size-tap");
        await using var channel = await connection.CreateChannelAsync();
        var tap = await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true);
        await channel.QueueBindAsync(tap.QueueName, exchange, "");
        try
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < timeout)
            {
                var message = await channel.BasicGetAsync(tap.QueueName, autoAck: true);
                if (message is not null)
                {
                    return message.Body.Length;
                }

                await Task.Delay(50);
            }

            return null;
        }
        finally
        {
            await channel.QueueDeleteAsync(tap.QueueName);
        }
    }
}
