using Microsoft.Extensions.Options;

namespace Migration.Oma.Persistence;

/// <summary>Migrates the schema in <see cref="StartingAsync"/>, before any hosted service (the bus among them) starts.</summary>
public sealed class DatabaseMigrationService(IOptions<DatabaseOptions> options, ILogger<DatabaseMigrationService> logger) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) =>
        Task.Run(() => DatabaseMigrator.Migrate(options.Value, logger), cancellationToken);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
