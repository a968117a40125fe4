using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Migration.VmaAgent;
using Migration.VmaAgent.Jobs;

namespace Migration.Tests.Trust;

/// <summary>The real agent on real Kestrel over loopback: HTTPS with client certificates, and a plain health port.</summary>
public sealed class TlsAgent : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TlsAgent(WebApplication app, Uri httpsUrl, Uri? healthUrl, string targetDirectory)
    {
        _app = app;
        HttpsUrl = httpsUrl;
        HealthUrl = healthUrl;
        TargetDirectory = targetDirectory;
    }

    /// <summary>The API's URL (http:// when started with plainHttp).</summary>
    public Uri HttpsUrl { get; }

    public Uri? HealthUrl { get; }

    public string TargetDirectory { get; }

    public JobRegistry Jobs => _app.Services.GetRequiredService<JobRegistry>();

    public static async Task<TlsAgent> StartAsync(CertificateSet certificates, IReadOnlyDictionary<string, string?>? overrides = null,
        LogCollector? logs = null, bool withHealthPort = false, bool plainHttp = false)
    {
        var targets = Path.Combine(certificates.Directory, "targets");
        var settings = new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:Https:Url"] = "https://127.0.0.1:0",
            ["Kestrel:Endpoints:Https:Certificate:Path"] = certificates.VmaPath,
            ["Kestrel:Endpoints:Https:Certificate:KeyPath"] = certificates.VmaKeyPath,
            ["Vma:Tls:ClientCaPath"] = certificates.CaPath,
            ["Vma:Target:Directory"] = targets,
            ["Vma:Simulated:VmCount"] = "2",
            ["Vma:Simulated:DiskSize"] = "1MiB",
            ["Vma:Simulated:BlockSize"] = "4KiB",
            ["Vma:Simulated:ExtentSize"] = "64KiB",
            ["Vma:Jobs:StageDelay"] = "00:00:00",
            ["Vma:Jobs:ThroughputCapPerJob"] = "0",
        };
        if (withHealthPort)
        {
            settings["Vma:Tls:HealthUrls"] = "http://127.0.0.1:0";
        }

        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        if (plainHttp)
        {
            foreach (var key in settings.Keys.Where(k => k.StartsWith("Kestrel:", StringComparison.Ordinal)).ToList())
            {
                settings.Remove(key);
            }
        }

        var builder = WebApplication.CreateBuilder();
        if (plainHttp)
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
        }

        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        builder.Services.AddVmaAgent(builder.Configuration);
        var app = builder.Build();
        app.MapVmaAgent();
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses
            .Select(a => new Uri(a)).ToList();
        return plainHttp
            ? new TlsAgent(app, addresses.Single(), null, targets)
            : new TlsAgent(app, addresses.Single(a => a.Scheme == "https"), addresses.FirstOrDefault(a => a.Scheme == "http"), targets);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
