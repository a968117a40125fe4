using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Migration.Benchmarks.Pipeline;

/// <summary>The private RabbitMQ of scripts/servers.sh: AMQP address and the management API (virtual hosts, node pid).</summary>
public sealed class RabbitServer : IDisposable
{
    private readonly HttpClient management;

    private RabbitServer(Uri amqp, Uri managementUrl, string user, string password)
    {
        Amqp = amqp;
        User = user;
        Password = password;
        management = new HttpClient { BaseAddress = managementUrl, Timeout = TimeSpan.FromSeconds(30) };
        management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
    }

    public Uri Amqp { get; }

    public string Host => Amqp.Host;

    public int Port => Amqp.Port;

    public string User { get; }

    public string Password { get; }

    public static RabbitServer FromEnvironment()
    {
        var amqp = Required("MIGRATION_TEST_RABBITMQ");
        var managementUrl = Required("MIGRATION_TEST_RABBITMQ_MANAGEMENT");
        var user = Required("MIGRATION_TEST_RABBITMQ_USER");
        var password = Required("MIGRATION_TEST_RABBITMQ_PASSWORD");
        return new RabbitServer(new Uri(amqp), new Uri(managementUrl), user, password);
    }

    public static string Required(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
        ? value
        : throw new BenchmarkSetupException(
            $"{name} is not set. Start private servers and export their settings first: " +
            "`source scripts/servers.sh; servers_start; servers_env` (or run Tests/Benchmarks/run-pipeline.sh)");

    public async Task CreateVirtualHostAsync(string vhost)
    {
        using var created = await management.PutAsync($"/api/vhosts/{Uri.EscapeDataString(vhost)}", null);
        created.EnsureSuccessStatusCode();
        using var permitted = await management.PutAsJsonAsync(
            $"/api/permissions/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(User)}",
            new { configure = ".*", write = ".*", read = ".*" });
        permitted.EnsureSuccessStatusCode();
    }

    public async Task DeleteVirtualHostAsync(string vhost)
    {
        using var _ = await management.DeleteAsync($"/api/vhosts/{Uri.EscapeDataString(vhost)}");
    }

    /// <summary>Messages ready + unacknowledged in one queue (the management API's figure, refreshed every few seconds).</summary>
    public async Task<long?> QueueDepthAsync(string vhost, string queue)
    {
        using var response = await management.GetAsync($"/api/queues/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(queue)}");
        if (!response.IsSuccessStatusCode)
        {
            return null;
        }

        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Number
            ? messages.GetInt64()
            : null;
    }

    /// <summary>The broker's OS process (the Erlang VM), for its CPU time.</summary>
    public async Task<int?> NodePidAsync()
    {
        using var document = JsonDocument.Parse(await management.GetStringAsync("/api/nodes"));
        foreach (var node in document.RootElement.EnumerateArray())
        {
            if (node.TryGetProperty("os_pid", out var pid) && int.TryParse(pid.GetString(), out var value))
            {
                return value;
            }
        }

        return null;
    }

    public void Dispose() => management.Dispose();
}
