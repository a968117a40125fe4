using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace Migration.Tests.EndToEnd;

/// <summary>
/// A private RabbitMQ virtual host and PostgreSQL database on the servers ./test.sh started, created for one test
/// class and deleted after it, so runs never see each other's data.
/// </summary>
public sealed class RealServers : IAsyncDisposable
{
    private readonly string _adminConnection;
    private readonly HttpClient _management;

    private RealServers(string adminConnection, Uri amqp, HttpClient management, string name)
    {
        _adminConnection = adminConnection;
        _management = management;
        Amqp = amqp;
        VirtualHost = name;
        Database = name.Replace('-', '_');
        var user = Uri.UnescapeDataString(amqp.UserInfo.Split(':')[0]);
        var password = Uri.UnescapeDataString(amqp.UserInfo.Split(':')[1]);
        Username = user;
        Password = password;
        ConnectionString = new NpgsqlConnectionStringBuilder(adminConnection) { Database = Database }.ConnectionString;
    }

    public Uri Amqp { get; }

    public string Username { get; }

    public string Password { get; }

    public string VirtualHost { get; }

    public string Database { get; }

    public string ConnectionString { get; }

    public static async Task<RealServers> CreateAsync()
    {
        static string Required(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} is not set: run ./test.sh (it starts PostgreSQL and RabbitMQ)");

        var admin = Required("MIGRATION_TEST_POSTGRES");
        var amqp = new Uri(Required("MIGRATION_TEST_RABBITMQ"));
        var management = new HttpClient { BaseAddress = new Uri(Required("MIGRATION_TEST_RABBITMQ_MANAGEMENT")) };
        management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(
            Encoding.UTF8.GetBytes($"{Required("MIGRATION_TEST_RABBITMQ_USER")}:{Required("MIGRATION_TEST_RABBITMQ_PASSWORD")}")));
        var servers = new RealServers(admin, amqp, management, $"e2e-{Guid.NewGuid():N}"[..20]);

        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{servers.Database}\"", connection);
            await create.ExecuteNonQueryAsync();
        }

        (await management.PutAsync($"api/vhosts/{servers.VirtualHost}", null)).EnsureSuccessStatusCode();
        (await management.PutAsJsonAsync($"api/permissions/{servers.VirtualHost}/{Uri.EscapeDataString(servers.Username)}",
            new { configure = ".*", write = ".*", read = ".*" })).EnsureSuccessStatusCode();
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
    public async Task<IReadOnlyList<QueueInfo>> QueuesAsync()
    {
        var queues = await _management.GetFromJsonAsync<List<JsonElement>>($"api/queues/{VirtualHost}") ?? [];
        return queues.Select(q => new QueueInfo(
            q.GetProperty("name").GetString()!,
            q.TryGetProperty("messages", out var m) && m.ValueKind == JsonValueKind.Number ? m.GetInt64() : 0,
            q.TryGetProperty("consumers", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetInt32() : 0,
            q.TryGetProperty("durable", out var d) && d.GetBoolean())).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        await _management.DeleteAsync($"api/vhosts/{VirtualHost}");
        _management.Dispose();
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_adminConnection);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Database}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}

public sealed record QueueInfo(string Name, long Messages, int Consumers, bool Durable);
