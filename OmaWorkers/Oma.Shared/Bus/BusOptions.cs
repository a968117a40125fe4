namespace Migration.Oma.Bus;

/// <summary>Config section <c>Bus</c>.</summary>
public sealed class BusOptions
{
    public const string Section = "Bus";

    /// <summary>InMemory (embedded default: one process) or RabbitMq (every real deployment).</summary>
    public BusTransport Transport { get; set; } = BusTransport.InMemory;

    public RabbitMqOptions RabbitMq { get; set; } = new();

    /// <summary>Queue of the durable message-scheduler endpoint (the Scheduler process) on RabbitMQ.</summary>
    public string SchedulerQueue { get; set; } = "scheduler";

    /// <summary>
    /// How long a host waits for its bus to connect and bind its queues before it gives up and exits 1 naming the
    /// broker (a Kubernetes restart then tries again).
    /// </summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(60);
}

public sealed class RabbitMqOptions
{
    public string Host { get; set; } = "localhost";

    public ushort Port { get; set; } = 5672;

    public string VirtualHost { get; set; } = "/";

    public string Username { get; set; } = "guest";

    public string Password { get; set; } = "guest";
}

public enum BusTransport
{
    InMemory,
    RabbitMq,
}
