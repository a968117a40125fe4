using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using Dapper;
using Migration.Tests.Cluster.Infrastructure;
using Migration.Tests.Support;
using Npgsql;
using Xunit.Abstractions;

namespace Migration.Tests.Cluster;

/// <summary>
/// The whole system with known secrets — the vCenter password, a RabbitMQ user's password, a PostgreSQL role's password,
/// the VMA's and the OMA's private keys — in the real deployment shape (vCenter simulator, VMA on the VSphere source
/// behind mutual TLS, a worker and a scheduler, each its own process); then every output stream, every table, every
/// /metrics page, progress and problem documents are searched for each secret and its base64.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SecretsTests(ITestOutputHelper output)
{
    private const string Vm = "DC0_C0_RP0_VM1";

    [Fact]
    public async Task No_known_secret_appears_in_any_log_row_document_or_metric()
    {
        await using var sim = await VcSim.StartAsync();
        await using var run = await ClusterRun.CreateAsync("secrets", output);
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var rabbitUser = $"secrets-{suffix}";
        var rabbitPassword = $"Rabbit-S3cret-{suffix}";
        var pgRole = $"secrets_{suffix}";
        var pgPassword = $"Pg-S3cret-{suffix}";
        await run.Management.CreateUserAsync(rabbitUser, rabbitPassword, run.VirtualHost);
        var database = new NpgsqlConnectionStringBuilder(run.DatabaseConnectionString);
        await using (var admin = new NpgsqlConnection(run.Servers.PostgresAdmin))
        {
            await admin.OpenAsync();
            await admin.ExecuteAsync($"CREATE ROLE \"{pgRole}\" LOGIN PASSWORD '{pgPassword}'");
            await admin.ExecuteAsync($"ALTER DATABASE \"{database.Database}\" OWNER TO \"{pgRole}\"");
        }

        try
        {
            await RunAndSearchAsync(sim, run, rabbitUser, rabbitPassword, pgRole, pgPassword);
        }
        finally
        {
            await run.Management.DeleteUserAsync(rabbitUser);
        }
    }

    private async Task RunAndSearchAsync(VcSim sim, ClusterRun run, string rabbitUser, string rabbitPassword, string pgRole, string pgPassword)
    {
        var tls = Path.Combine(run.WorkDirectory, "tls");
        await CertsInitAsync(tls);
        var secrets = new Dictionary<string, string>
        {
            ["vCenter password"] = VcSim.Password,
            ["RabbitMQ password"] = rabbitPassword,
            ["PostgreSQL password"] = pgPassword,
        };
        foreach (var key in new[] { "vma-key.pem", "oma-key.pem" })
        {
            var lines = (await File.ReadAllLinesAsync(Path.Combine(tls, key))).Where(l => !l.StartsWith("-----", StringComparison.Ordinal)).ToList();
            secrets[$"{key} (whole)"] = string.Concat(lines);
            for (var i = 0; i < lines.Count; i++)
            {
                secrets[$"{key} line {i + 1}"] = lines[i];
            }
        }

        var database = new NpgsqlConnectionStringBuilder(run.DatabaseConnectionString) { Username = pgRole, Password = pgPassword }.ConnectionString;
        var oma = new Dictionary<string, string>
        {
            ["Bus__RabbitMq__Username"] = rabbitUser,
            ["Bus__RabbitMq__Password"] = rabbitPassword,
            ["Database__ConnectionString"] = database,
            ["Tracking__PollInterval"] = "00:00:00.500",
            ["Tracking__WriteMinInterval"] = "00:00:00.500",
            ["Logging__Console__FormatterOptions__IncludeScopes"] = "true",
            ["Logging__LogLevel__Migration"] = "Debug",
        };
        var worker = run.StartWorker("worker", new Dictionary<string, string>(oma)
        {
            ["VmaClient__ClientCertificate__Path"] = Path.Combine(tls, "oma.pem"),
            ["VmaClient__ClientCertificate__KeyPath"] = Path.Combine(tls, "oma-key.pem"),
            ["VmaClient__TrustedCaPath"] = Path.Combine(tls, "ca.pem"),
        });
        var scheduler = run.StartScheduler("scheduler", oma);
        var httpsUrl = new Uri($"https://127.0.0.1:{LoopbackPorts.Next()}");
        var vma = run.StartVmaAt("vma", new Uri($"http://127.0.0.1:{LoopbackPorts.Next()}"), new Dictionary<string, string>
        {
            ["Vma__Source"] = "VSphere",
            ["Vma__VSphere__Url"] = sim.SdkUrl.ToString(),
            ["Vma__VSphere__Username"] = VcSim.Username,
            ["Vma__VSphere__Password"] = VcSim.Password,
            ["Vma__VSphere__CaFile"] = sim.CaFile,
            ["Vma__VSphere__TaskPollInterval"] = "00:00:00.100",
            ["Vma__Jobs__StageDelay"] = "00:00:00",
            ["Kestrel__Endpoints__Https__Url"] = httpsUrl.ToString().TrimEnd('/'),
            ["Kestrel__Endpoints__Https__Certificate__Path"] = Path.Combine(tls, "vma.pem"),
            ["Kestrel__Endpoints__Https__Certificate__KeyPath"] = Path.Combine(tls, "vma-key.pem"),
            ["Vma__Tls__ClientCaPath"] = Path.Combine(tls, "ca.pem"),
            ["Logging__Console__FormatterOptions__IncludeScopes"] = "true",
            ["Logging__LogLevel__Migration"] = "Debug",
        });
        await ClusterRun.WaitReadyAsync(vma, worker, scheduler);

        // A job that runs, and one that fails in vCenter (no such VM): the error paths are where secrets leak.
        await run.PublishStartsAsync([("secrets-full", Vm, httpsUrl), ("secrets-missing", "no-such-vm", httpsUrl)]);
        var jobs = await run.WaitForJobsAsync(["secrets-full", "secrets-missing"], new ProgressMonitor(), TimeSpan.FromMinutes(2));
        Assert.Equal("completed", jobs.Single(j => j.Id == "secrets-full").Status);
        Assert.Equal("failed", jobs.Single(j => j.Id == "secrets-missing").Status);

        var texts = new Dictionary<string, string>();
        using (var client = MutualTlsClient(tls))
        {
            foreach (var jobId in new[] { "secrets-full", "secrets-missing" })
            {
                // The refused job is not known to the VMA: its answer is a problem document, searched as well.
                using var answer = await client.GetAsync(new Uri(httpsUrl, $"/api/v1/progress/{jobId}"));
                texts[$"progress answer of {jobId} ({(int)answer.StatusCode})"] = await answer.Content.ReadAsStringAsync();
            }

            using var bad = await client.PostAsync(new Uri(httpsUrl, "/api/v1/replications"), new StringContent("{\"job_id\":\"x\",\"vm\":{\"name\":1}}", Encoding.UTF8, "application/json"));
            texts["problem document (400)"] = await bad.Content.ReadAsStringAsync();
            using var missing = await client.PostAsync(new Uri(httpsUrl, "/api/v1/replications"), new StringContent("{\"job_id\":\"secrets-422\",\"vm\":{\"name\":\"no-such-vm\"}}", Encoding.UTF8, "application/json"));
            texts[$"start answer ({(int)missing.StatusCode})"] = await missing.Content.ReadAsStringAsync();
        }

        using (var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(30) })
        {
            foreach (var host in new[] { vma, worker, scheduler })
            {
                texts[$"/metrics of {host.Name}"] = await plain.GetStringAsync(new Uri(host.Url, "/metrics"));
            }
        }

        await using (var connection = new NpgsqlConnection(run.DatabaseConnectionString))
        {
            await connection.OpenAsync();
            var tables = await connection.QueryAsync<string>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name");
            foreach (var table in tables)
            {
                var rows = await connection.QueryAsync<string>($"SELECT row_to_json(t)::text FROM \"{table}\" t");
                texts[$"table {table}"] = string.Join("\n", rows);
            }
        }

        foreach (var host in new[] { vma, worker, scheduler })
        {
            texts[$"output of {host.Name}"] = await File.ReadAllTextAsync(host.LogFile);
        }

        Assert.Contains("secrets-full", texts["table replication_jobs"], StringComparison.Ordinal);
        Assert.Contains("secrets-missing", texts["output of worker"], StringComparison.Ordinal); // the failure was logged, and searched
        var leaks = (
            from secret in secrets
            from variant in new[] { secret.Value, Convert.ToBase64String(Encoding.UTF8.GetBytes(secret.Value)) }
            from text in texts
            where text.Value.Contains(variant, StringComparison.Ordinal)
            select $"{secret.Key} in {text.Key}").Distinct().ToList();
        Assert.True(leaks.Count == 0, string.Join("; ", leaks));

        // A connection string, if one is ever logged, shows its password masked.
        var unmasked = texts.Where(t => t.Key.StartsWith("output", StringComparison.Ordinal))
            .SelectMany(t => Regex.Matches(t.Value, @"(?i)(password|pwd)\s*=\s*(?!\*)[^;\s""']+").Select(m => $"{t.Key}: {m.Value}"))
            .ToList();
        Assert.True(unmasked.Count == 0, string.Join("; ", unmasked));
        output.WriteLine($"searched {texts.Count} texts ({texts.Values.Sum(t => (long)t.Length).ToString(CultureInfo.InvariantCulture)} characters) for {secrets.Count} secrets and their base64");
    }

    private static async Task CertsInitAsync(string directory)
    {
        var cli = Path.Combine(HostProcess.RepositoryRoot, "Cli", "bin", HostProcess.BuildConfiguration, "net10.0", "migration.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { cli, "certs", "init", "--out", directory })
        {
            start.ArgumentList.Add(argument);
        }

        using var certs = Process.Start(start)!;
        var stderr = certs.StandardError.ReadToEndAsync();
        await certs.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await certs.WaitForExitAsync(timeout.Token);
        Assert.True(certs.ExitCode == 0, await stderr);
    }

    private static HttpClient MutualTlsClient(string tls)
    {
        var ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(tls, "ca.pem"));
        var handler = new SocketsHttpHandler();
        handler.SslOptions.ClientCertificates = [X509Certificate2.CreateFromPemFile(Path.Combine(tls, "oma.pem"), Path.Combine(tls, "oma-key.pem"))];
        handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck, CustomTrustStore = { ca } };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30), DefaultRequestHeaders = { Accept = { new MediaTypeWithQualityHeaderValue("application/json") } } };
    }
}
