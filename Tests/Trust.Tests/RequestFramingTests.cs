using System.Net.Sockets;
using System.Text;

namespace Migration.Tests.Trust;

/// <summary>Broken HTTP framing, sent byte for byte over a socket to the agent on real Kestrel.</summary>
public sealed class RequestFramingTests : IDisposable
{
    private readonly CertificateSet _certificates = new();

    private static async Task<string> SendRawAsync(Uri url, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(url.Host, url.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var answer = new StringBuilder();
        var buffer = new byte[4096];
        while (!answer.ToString().Contains("}", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            if (read == 0)
            {
                break;
            }

            answer.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }

        return answer.ToString();
    }

    [Theory]
    [InlineData("ZZ\r\n{}\r\n0\r\n\r\n")]
    [InlineData("5\r\n{\"job_id\"\r\n0\r\n\r\n")]
    public async Task A_malformed_chunked_body_is_a_400_problem_logged_as_a_warning(string chunks)
    {
        var logs = new LogCollector();
        await using var agent = await TlsAgent.StartAsync(_certificates, logs: logs, plainHttp: true);

        var answer = await SendRawAsync(agent.HttpsUrl,
            "POST /api/v1/replications HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks);

        Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
        Assert.Contains("application/problem+json", answer, StringComparison.Ordinal);
        Assert.True(logs.Has(LogLevel.Warning, "Refused the body of a request to /api/v1/replications with 400"), string.Join("\n", logs.Lines));
        Assert.DoesNotContain(logs.Lines, line => line.Level >= LogLevel.Error);
    }

    public void Dispose() => _certificates.Dispose();
}
