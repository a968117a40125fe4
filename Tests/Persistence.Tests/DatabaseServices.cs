using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Migration.Oma.Persistence;
using Migration.OmaWorkers.SagaRepository;
using Migration.Tests.Support;

namespace Migration.Tests.Persistence;

/// <summary>The persistence layer and the saga repository over one of the run's <see cref="TestDatabases"/>.</summary>
public static class DatabaseServices
{
    public static ServiceProvider Services(DatabaseOptions options, Action<IServiceCollection>? configure = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(ConfigurationOf(options)).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddMigrationPersistence(configuration);
        services.AddReplicationStateRepository();
        configure?.Invoke(services);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
    }

    public static Dictionary<string, string?> ConfigurationOf(DatabaseOptions options) => new()
    {
        ["Database:Provider"] = options.Provider.ToString(),
        ["Database:ConnectionString"] = options.ConnectionString,
    };
}

[CollectionDefinition(Name)]
public sealed class DatabaseCollection : ICollectionFixture<TestDatabases>
{
    public const string Name = "database";
}
