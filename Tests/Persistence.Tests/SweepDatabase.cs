using Microsoft.Extensions.DependencyInjection;
using Migration.Oma.Persistence;
using Migration.OmaWorkers.SagaRepository;

namespace Migration.Tests.Persistence;

/// <summary>A fresh database with the saga's repository (to insert jobs) and the sweep's store.</summary>
internal sealed record SweepDatabase(ServiceProvider Services, ReplicationStateRepository Repository, IPollSweepStore Claims) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Services.DisposeAsync();
}
