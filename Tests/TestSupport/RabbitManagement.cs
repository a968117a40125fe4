using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Serialization;

namespace Migration.Tests.Support;

/// <summary>The RabbitMQ management HTTP API: what an operator sees in the management UI.</summary>
public sealed class RabbitManagement : IDisposable
{
    private readonly HttpClient _http;

    public RabbitManagement(TestServers servers)
    {
        _http = new HttpClient { BaseAddress = servers.Management, Timeout = TimeSpan.FromSeconds(30) };
        var credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{servers.RabbitUser}:{servers.RabbitPassword}"));
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", credentials);
    }

    public async Task CreateVirtualHostAsync(string vhost, string user)
    {
        using var created = await _http.PutAsync(new Uri($"api/vhosts/{Uri.EscapeDataString(vhost)}", UriKind.Relative), null);
        created.EnsureSuccessStatusCode();
        using var granted = await _http.PutAsJsonAsync(
            new Uri($"api/permissions/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(user)}", UriKind.Relative),
            new { configure = ".*", write = ".*", read = ".*" });
        granted.EnsureSuccessStatusCode();
    }

    /// <summary>A user with this password and every permission on <paramref name="vhost"/> (deleted with <see cref="DeleteUserAsync"/>).</summary>
    public async Task CreateUserAsync(string user, string password, string vhost)
    {
        using var created = await _http.PutAsJsonAsync(new Uri($"api/users/{Uri.EscapeDataString(user)}", UriKind.Relative), new { password, tags = "" });
        created.EnsureSuccessStatusCode();
        using var granted = await _http.PutAsJsonAsync(
            new Uri($"api/permissions/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(user)}", UriKind.Relative),
            new { configure = ".*", write = ".*", read = ".*" });
        granted.EnsureSuccessStatusCode();
    }

    public async Task DeleteUserAsync(string user)
    {
        using var deleted = await _http.DeleteAsync(new Uri($"api/users/{Uri.EscapeDataString(user)}", UriKind.Relative));
    }

    public async Task DeleteVirtualHostAsync(string vhost)
    {
        using var deleted = await _http.DeleteAsync(new Uri($"api/vhosts/{Uri.EscapeDataString(vhost)}", UriKind.Relative));
        if (deleted.StatusCode != HttpStatusCode.NotFound)
        {
            deleted.EnsureSuccessStatusCode();
        }
    }

    /// <summary>Every queue of the virtual host with its consumers and message counts.</summary>
    public async Task<IReadOnlyList<QueueInfo>> GetQueuesAsync(string vhost) =>
        await _http.GetFromJsonAsync<List<QueueInfo>>(new Uri($"api/queues/{Uri.EscapeDataString(vhost)}", UriKind.Relative))
        ?? [];

    /// <summary>The broker's OS process (the Erlang VM), for its CPU time.</summary>
    public async Task<int?> NodePidAsync()
    {
        using var document = System.Text.Json.JsonDocument.Parse(await _http.GetStringAsync(new Uri("api/nodes", UriKind.Relative)));
        foreach (var node in document.RootElement.EnumerateArray())
        {
            if (node.TryGetProperty("os_pid", out var pid) && int.TryParse(pid.GetString(), out var value))
            {
                return value;
            }
        }

        return null;
    }

    public void Dispose() => _http.Dispose();
}

public sealed record QueueInfo
{
    [JsonPropertyName("name")]
    public string Name { get; init; } = "";

    [JsonPropertyName("consumers")]
    public int Consumers { get; init; }

    [JsonPropertyName("messages")]
    public long Messages { get; init; }

    [JsonPropertyName("messages_ready")]
    public long MessagesReady { get; init; }

    [JsonPropertyName("messages_unacknowledged")]
    public long MessagesUnacknowledged { get; init; }

    [JsonPropertyName("durable")]
    public bool Durable { get; init; }

    public override string ToString() => $"{Name} (consumers {Consumers}, messages {Messages})";
}
