using Migration.Tests.Support;
using Npgsql;

namespace Migration.Tests.EndToEnd;

/// <summary>
/// A private RabbitMQ virtual host and PostgreSQL database on the servers ./test.sh started, created for one test
/// and deleted after it, so runs never see each other's data.
/// </summary>
public sealed class RealServers : IAsyncDisposable
{
    private readonly TestServers _servers;
    private readonly RabbitManagement _management;

    private RealServers(TestServers servers, string name)
    {
        _servers = servers;
        _management = new RabbitManagement(servers);
        VirtualHost = name;
        Database = name.Replace('-', '_');
        ConnectionString = new NpgsqlConnectionStringBuilder(servers.PostgresAdmin) { Database = Database }.ConnectionString;
    }

    public Uri Amqp => _servers.Amqp;

    public string Username => _servers.RabbitUser;

    public string Password => _servers.RabbitPassword;

    public string VirtualHost { get; }

    public string Database { get; }

    public string ConnectionString { get; }

    public static async Task<RealServers> CreateAsync()
    {
        var servers = new RealServers(TestServers.FromEnvironment(), $"e2e-{Guid.NewGuid():N}"[..20]);
        await using (var connection = new NpgsqlConnection(servers._servers.PostgresAdmin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{servers.Database}\"", connection);
            await create.ExecuteNonQueryAsync();
        }

        await servers._management.CreateVirtualHostAsync(servers.VirtualHost, servers.Username);
        return servers;
    }

    /// <summary>The settings that put the system on this virtual host and database, with the durable Quartz store.</summary>
    public Dictionary<string, string?> Settings() => new()
    {
        ["Bus:Transport"] = "RabbitMq",
        ["Bus:RabbitMq:Host"] = Amqp.Host,
        ["Bus:RabbitMq:Port"] = Amqp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Bus:RabbitMq:VirtualHost"] = VirtualHost,
        ["Bus:RabbitMq:Username"] = Username,
        ["Bus:RabbitMq:Password"] = Password,
        ["Database:Provider"] = "Postgres",
        ["Database:ConnectionString"] = ConnectionString,
        ["Scheduler:Quartz:Store"] = "AdoNet",
    };

    /// <summary>Queues of the virtual host as the management API reports them.</summary>
    public Task<IReadOnlyList<QueueInfo>> QueuesAsync() => _management.GetQueuesAsync(VirtualHost);

    public async ValueTask DisposeAsync()
    {
        await _management.DeleteVirtualHostAsync(VirtualHost);
        _management.Dispose();
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_servers.PostgresAdmin);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Database}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
