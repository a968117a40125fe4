using Migration.OmaWorkers;
using Migration.OmaWorkers.Vma;

namespace Migration.Tests.Trust;

/// <summary>The OMA's <see cref="VmaClient"/> exactly as the workers build it (AddOmaWorkers), from configuration keys.</summary>
public sealed class OmaClient : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private OmaClient(ServiceProvider services) => _services = services;

    public VmaClient Vma => _services.GetRequiredService<VmaClient>();

    public static OmaClient Create(IReadOnlyDictionary<string, string?> settings, LogCollector? logs = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging(logging =>
        {
            if (logs is not null)
            {
                logging.AddProvider(logs);
            }
        });
        services.AddSingleton<IConfiguration>(configuration);
        services.AddOmaWorkers(configuration);
        return new OmaClient(services.BuildServiceProvider());
    }

    /// <summary>Settings of an OMA that presents <c>oma.pem</c> and trusts the set's CA.</summary>
    public static Dictionary<string, string?> Settings(CertificateSet certificates) => new()
    {
        ["VmaClient:ClientCertificate:Path"] = certificates.OmaPath,
        ["VmaClient:ClientCertificate:KeyPath"] = certificates.OmaKeyPath,
        ["VmaClient:TrustedCaPath"] = certificates.CaPath,
        ["VmaClient:MaxRetryAttempts"] = "0",
        ["Tracking:HttpTimeout"] = "00:00:10",
    };

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
