using System.Globalization;
using Migration.Tests.Support;

namespace Migration.Benchmarks.Chaos.Faults;

/// <summary>PostgreSQL stopped (fast shutdown: open transactions are rolled back) for a while, then started again on its data.</summary>
public sealed class PostgresOutage(TestServers servers, double at, double downSeconds) : IFault
{
    public double At => at;

    public string Name => string.Create(CultureInfo.InvariantCulture, $"PostgreSQL stopped for {downSeconds} s");

    public async Task RunAsync(FaultLog log, CancellationToken cancellationToken)
    {
        await servers.StopPostgresAsync();
        log.Write("PostgreSQL stopped");
        await Task.Delay(TimeSpan.FromSeconds(downSeconds), cancellationToken);
        await servers.StartPostgresAsync();
        log.Write("PostgreSQL running again");
    }
}
