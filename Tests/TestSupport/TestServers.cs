using System.Diagnostics;

namespace Migration.Tests.Support;

/// <summary>
/// The real PostgreSQL and RabbitMQ that <c>./test.sh</c> starts (through <c>scripts/servers.sh</c>), read from the
/// <c>MIGRATION_TEST_*</c> variables it exports; and the stop/start of those very servers for the fault tests.
/// </summary>
public sealed class TestServers
{
    private TestServers(string postgres, Uri amqp, Uri management, string user, string password, string script)
    {
        PostgresAdmin = postgres;
        Amqp = amqp;
        Management = management;
        RabbitUser = user;
        RabbitPassword = password;
        ServersScript = script;
    }

    /// <summary>Admin connection string (database <c>postgres</c>).</summary>
    public string PostgresAdmin { get; }

    public Uri Amqp { get; }

    public Uri Management { get; }

    public string RabbitUser { get; }

    public string RabbitPassword { get; }

    /// <summary><c>scripts/servers.sh</c>; the run directory and ports come from the inherited environment.</summary>
    public string ServersScript { get; }

    public static TestServers FromEnvironment()
    {
        string Require(string name) =>
            Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
                ? value
                : throw new InvalidOperationException(
                    $"{name} is not set: the cluster tests need the real PostgreSQL and RabbitMQ servers; run ./test.sh " +
                    "(or: source scripts/servers.sh && servers_start && servers_env)");

        return new TestServers(
            Require("MIGRATION_TEST_POSTGRES"),
            new Uri(Require("MIGRATION_TEST_RABBITMQ")),
            new Uri(Require("MIGRATION_TEST_RABBITMQ_MANAGEMENT")),
            Require("MIGRATION_TEST_RABBITMQ_USER"),
            Require("MIGRATION_TEST_RABBITMQ_PASSWORD"),
            Require("MIGRATION_TEST_SERVERS_SCRIPT"));
    }

    public Task StopRabbitMqAsync() => RunAsync("servers_stop_rabbitmq");

    /// <summary>Starts the node again on its data directory: users, virtual hosts and durable queues survive.</summary>
    public Task StartRabbitMqAsync() => RunAsync("servers_resume_rabbitmq");

    public Task StopPostgresAsync() => RunAsync("servers_stop_postgres");

    public Task StartPostgresAsync() => RunAsync("servers_resume_postgres");

    private async Task RunAsync(string function)
    {
        var start = new ProcessStartInfo("/bin/bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"source \"$0\" && {function} 2>&1");
        start.ArgumentList.Add(ServersScript);

        using var process = Process.Start(start) ?? throw new InvalidOperationException("bash did not start");
        // The servers are started detached (setsid) with their output in their own logs, so these pipes close.
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{function} exited with {process.ExitCode}: {await output}{await errors}");
        }
    }
}
