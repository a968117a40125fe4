using Migration.Tests.Support;

namespace Migration.Benchmarks.Pipeline;

/// <summary>The private RabbitMQ of scripts/servers.sh, through the test-support library: AMQP address and management API.</summary>
public sealed class RabbitServer : IDisposable
{
    private static readonly string[] Variables =
    [
        "MIGRATION_TEST_POSTGRES", "MIGRATION_TEST_RABBITMQ", "MIGRATION_TEST_RABBITMQ_MANAGEMENT",
        "MIGRATION_TEST_RABBITMQ_USER", "MIGRATION_TEST_RABBITMQ_PASSWORD", "MIGRATION_TEST_SERVERS_SCRIPT",
    ];

    private readonly RabbitManagement management;

    private RabbitServer(TestServers servers)
    {
        Amqp = servers.Amqp;
        User = servers.RabbitUser;
        Password = servers.RabbitPassword;
        management = new RabbitManagement(servers);
    }

    public Uri Amqp { get; }

    public string Host => Amqp.Host;

    public int Port => Amqp.Port;

    public string User { get; }

    public string Password { get; }

    /// <summary>The servers' settings as <c>servers_env</c> exports them; a clear setup error when one is missing.</summary>
    public static RabbitServer FromEnvironment()
    {
        foreach (var name in Variables)
        {
            Required(name);
        }

        return new RabbitServer(TestServers.FromEnvironment());
    }

    public static string Required(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
        ? value
        : throw new BenchmarkSetupException(
            $"{name} is not set. Start private servers and export their settings first: " +
            "`source scripts/servers.sh; servers_start; servers_env` (or run Tests/Benchmarks/run-pipeline.sh)");

    public Task CreateVirtualHostAsync(string vhost) => management.CreateVirtualHostAsync(vhost, User);

    /// <summary>Best effort: a run's clean-up must not hide the run's own error.</summary>
    public async Task DeleteVirtualHostAsync(string vhost)
    {
        try
        {
            await management.DeleteVirtualHostAsync(vhost);
        }
        catch (HttpRequestException)
        {
            // left for the next servers_start, which starts from fresh data
        }
    }

    /// <summary>Messages ready + unacknowledged in one queue (the management API's figure, refreshed every few seconds).</summary>
    public async Task<long?> QueueDepthAsync(string vhost, string queue)
    {
        try
        {
            return (await management.GetQueuesAsync(vhost)).FirstOrDefault(q => q.Name == queue)?.Messages;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    public Task<int?> NodePidAsync() => management.NodePidAsync();

    public void Dispose() => management.Dispose();
}
