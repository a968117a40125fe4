using System.Net;
using System.Net.Security;
using Migration.Cli.Certificates;
using Migration.Contracts.Tls;
using Migration.Contracts.Vma;
using Migration.OmaWorkers.Vma;

namespace Migration.Tests.Trust;

/// <summary>Mutual TLS between the OMA's VmaClient and the agent, both real, on Kestrel over loopback.</summary>
public sealed class MutualTlsTests : IDisposable
{
    private readonly CertificateSet _certificates = new();

    private static StartReplicationRequest Start(string jobId) => new() { JobId = jobId, Vm = new VmReference { Name = "demo-vm-1" } };

    [Fact]
    public async Task Agent_answers_a_caller_without_a_client_certificate_with_403_and_logs_it()
    {
        var logs = new LogCollector();
        await using var agent = await TlsAgent.StartAsync(_certificates, logs: logs);
        var settings = OmaClient.Settings(_certificates);
        settings.Remove("VmaClient:ClientCertificate:Path");
        settings.Remove("VmaClient:ClientCertificate:KeyPath");
        await using var oma = OmaClient.Create(settings);

        var started = await oma.Vma.StartAsync(agent.HttpsUrl.ToString(), Start("no-cert-1"), CancellationToken.None);

        Assert.Equal(VmaCallOutcome.Rejected, started.Outcome);
        Assert.Equal(403, started.HttpStatus);
        Assert.Null(agent.Jobs.Find("no-cert-1"));
        Assert.True(logs.Has(LogLevel.Warning, "no client certificate"));
    }

    [Fact]
    public async Task Agent_refuses_a_client_certificate_from_another_CA_during_the_handshake()
    {
        using var stranger = new CertificateSet();
        var logs = new LogCollector();
        await using var agent = await TlsAgent.StartAsync(_certificates, logs: logs);
        var settings = OmaClient.Settings(_certificates);
        settings["VmaClient:ClientCertificate:Path"] = stranger.OmaPath;
        settings["VmaClient:ClientCertificate:KeyPath"] = stranger.OmaKeyPath;
        await using var oma = OmaClient.Create(settings);

        var started = await oma.Vma.StartAsync(agent.HttpsUrl.ToString(), Start("stranger-1"), CancellationToken.None);

        Assert.Equal(VmaCallOutcome.Unreachable, started.Outcome);
        Assert.Null(started.HttpStatus);
        Assert.Null(agent.Jobs.Find("stranger-1"));
        Assert.True(logs.Has(LogLevel.Warning, "Refused a client certificate CN=migration-oma"));
    }

    [Fact]
    public async Task OMA_with_the_right_certificate_starts_and_polls_a_job()
    {
        await using var agent = await TlsAgent.StartAsync(_certificates);
        await using var oma = OmaClient.Create(OmaClient.Settings(_certificates));

        var started = await oma.Vma.StartAsync(agent.HttpsUrl.ToString(), Start("mtls-ok-1"), CancellationToken.None);
        var progress = await oma.Vma.GetProgressAsync(agent.HttpsUrl.ToString(), "mtls-ok-1", CancellationToken.None);

        Assert.Equal(VmaCallOutcome.Accepted, started.Outcome);
        Assert.Equal("mtls-ok-1", progress.Progress?.JobId);
    }

    [Fact]
    public async Task Agent_accepts_a_pinned_client_thumbprint_and_refuses_other_certificates_without_a_CA()
    {
        using var stranger = new CertificateSet();
        await using var agent = await TlsAgent.StartAsync(_certificates, new Dictionary<string, string?>
        {
            ["Vma:Tls:ClientCaPath"] = null,
            ["Vma:Tls:AllowedClientThumbprints:0"] = string.Join(':', CertificateTrust.Thumbprint(_certificates.Certificates.Oma).Chunk(2).Select(c => new string(c))).ToLowerInvariant(),
        });
        await using var pinned = OmaClient.Create(OmaClient.Settings(_certificates));
        var otherSettings = OmaClient.Settings(_certificates);
        otherSettings["VmaClient:ClientCertificate:Path"] = stranger.OmaPath;
        otherSettings["VmaClient:ClientCertificate:KeyPath"] = stranger.OmaKeyPath;
        await using var other = OmaClient.Create(otherSettings);

        var accepted = await pinned.Vma.GetProgressAsync(agent.HttpsUrl.ToString(), "unknown-job", CancellationToken.None);
        var refused = await other.Vma.GetProgressAsync(agent.HttpsUrl.ToString(), "unknown-job", CancellationToken.None);

        Assert.True(accepted.JobUnknown, accepted.Error);
        Assert.Null(refused.HttpStatus);
    }

    [Fact]
    public async Task OMA_refuses_a_VMA_whose_certificate_is_not_from_its_CA()
    {
        using var stranger = new CertificateSet();
        await using var agent = await TlsAgent.StartAsync(_certificates);
        var settings = OmaClient.Settings(_certificates);
        settings["VmaClient:TrustedCaPath"] = stranger.CaPath;
        var logs = new LogCollector();
        await using var oma = OmaClient.Create(settings, logs);

        var progress = await oma.Vma.GetProgressAsync(agent.HttpsUrl.ToString(), "any-job", CancellationToken.None);
        var started = await oma.Vma.StartAsync(agent.HttpsUrl.ToString(), Start("untrusted-vma-1"), CancellationToken.None);

        Assert.Null(progress.Progress);
        Assert.Null(progress.HttpStatus);
        Assert.Equal(VmaCallOutcome.Unreachable, started.Outcome);
        Assert.Null(agent.Jobs.Find("untrusted-vma-1"));
        Assert.True(logs.Has(LogLevel.Warning, "Refused the certificate CN=migration-vma"), progress.Error + string.Join("\n", logs.Lines));
    }

    [Fact]
    public async Task OMA_checks_the_VMA_host_name_by_default()
    {
        _certificates.Rotate("vma", _certificates.Issue("vma-site-b", CertificateUsage.Server, "vma-site-b.example"));
        await using var agent = await TlsAgent.StartAsync(_certificates);
        await using var checking = OmaClient.Create(OmaClient.Settings(_certificates));
        var lenientSettings = OmaClient.Settings(_certificates);
        lenientSettings["VmaClient:VerifyHostname"] = "false";
        await using var lenient = OmaClient.Create(lenientSettings);

        var refused = await checking.Vma.GetProgressAsync(agent.HttpsUrl.ToString(), "any-job", CancellationToken.None);
        var accepted = await lenient.Vma.GetProgressAsync(agent.HttpsUrl.ToString(), "any-job", CancellationToken.None);

        Assert.Null(refused.HttpStatus);
        Assert.True(accepted.JobUnknown, accepted.Error);
    }

    [Fact]
    public async Task OMA_trusts_a_pinned_VMA_thumbprint_without_a_CA()
    {
        await using var agent = await TlsAgent.StartAsync(_certificates);
        var settings = OmaClient.Settings(_certificates);
        settings.Remove("VmaClient:TrustedCaPath");
        settings["VmaClient:PinnedThumbprints:0"] = CertificateTrust.Thumbprint(_certificates.Certificates.Vma);
        await using var oma = OmaClient.Create(settings);

        var progress = await oma.Vma.GetProgressAsync(agent.HttpsUrl.ToString(), "any-job", CancellationToken.None);

        Assert.True(progress.JobUnknown, progress.Error);
    }

    [Fact]
    public async Task A_rotated_agent_certificate_is_served_without_a_restart()
    {
        await using var agent = await TlsAgent.StartAsync(_certificates);
        var next = _certificates.Issue("migration-vma-next", CertificateUsage.Server, "localhost");
        var settings = OmaClient.Settings(_certificates);
        settings.Remove("VmaClient:TrustedCaPath");
        settings["VmaClient:PinnedThumbprints:0"] = CertificateTrust.Thumbprint(next);
        await using var oma = OmaClient.Create(settings);
        var url = $"https://localhost:{agent.HttpsUrl.Port}/";

        var before = await oma.Vma.GetProgressAsync(url, "any-job", CancellationToken.None);
        _certificates.Rotate("vma", next);
        var after = await oma.Vma.GetProgressAsync(url, "any-job", CancellationToken.None);

        Assert.Null(before.HttpStatus);
        Assert.True(after.JobUnknown, after.Error);
    }

    [Fact]
    public async Task A_rotated_OMA_client_certificate_is_presented_without_a_restart()
    {
        var next = _certificates.Issue("migration-oma-next", CertificateUsage.Client);
        await using var agent = await TlsAgent.StartAsync(_certificates, new Dictionary<string, string?>
        {
            ["Vma:Tls:ClientCaPath"] = null,
            ["Vma:Tls:AllowedClientThumbprints:0"] = CertificateTrust.Thumbprint(next),
        });
        await using var oma = OmaClient.Create(OmaClient.Settings(_certificates));

        var before = await oma.Vma.GetProgressAsync(agent.HttpsUrl.ToString(), "any-job", CancellationToken.None);
        _certificates.Rotate("oma", next);
        var after = await oma.Vma.GetProgressAsync(agent.HttpsUrl.ToString(), "any-job", CancellationToken.None);

        Assert.Null(before.HttpStatus);
        Assert.True(after.JobUnknown, after.Error);
    }

    [Fact]
    public async Task The_plain_health_port_serves_the_probes_and_metrics_and_nothing_else()
    {
        await using var agent = await TlsAgent.StartAsync(_certificates, withHealthPort: true);
        using var http = new HttpClient { BaseAddress = agent.HealthUrl };

        var live = await http.GetAsync("/health/live");
        var ready = await http.GetAsync("/health/ready");
        var start = await http.PostAsync("/api/v1/replications", new StringContent("""{"job_id":"plain-1","vm":{"name":"demo-vm-1"}}""", System.Text.Encoding.UTF8, "application/json"));
        var simulator = await http.PostAsync("/api/v1/simulator/vms/demo-vm-1/changes", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        var metrics = await http.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, start.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, simulator.StatusCode);
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Null(agent.Jobs.Find("plain-1"));
    }

    [Fact]
    public async Task The_tunnel_proxy_carries_mutual_TLS()
    {
        await using var proxy = new ConnectProxy();
        await using var agent = await TlsAgent.StartAsync(_certificates);
        var settings = OmaClient.Settings(_certificates);
        settings["VmaClient:ProxyUrl"] = proxy.Url.ToString();
        await using var oma = OmaClient.Create(settings);

        var started = await oma.Vma.StartAsync(agent.HttpsUrl.ToString(), Start("via-proxy-1"), CancellationToken.None);
        var progress = await oma.Vma.GetProgressAsync(agent.HttpsUrl.ToString(), "via-proxy-1", CancellationToken.None);

        Assert.True(started.Outcome == VmaCallOutcome.Accepted, started.Detail);
        Assert.True(progress.Progress?.JobId == "via-proxy-1", progress.Error);
        Assert.Contains($"127.0.0.1:{agent.HttpsUrl.Port}", proxy.Connects);
    }

    [Fact]
    public async Task Agent_with_HTTPS_but_no_client_trust_refuses_to_start()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => TlsAgent.StartAsync(_certificates, new Dictionary<string, string?> { ["Vma:Tls:ClientCaPath"] = null }));

        Assert.Contains("Vma:Tls:ClientCaPath", error.ToString(), StringComparison.Ordinal);
    }

    public void Dispose() => _certificates.Dispose();
}
