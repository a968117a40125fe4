using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Migration.Cli.Embedded;
using Migration.Contracts.Status;
using Migration.OmaWorkers.Telemetry;
using Npgsql;
using Xunit.Abstractions;

namespace Migration.Tests.EndToEnd;

/// <summary>
/// What an answered poll costs PostgreSQL with everything that runs for it: the sweep's claims, the poll's own claim
/// handling in the worker, the saga's step, the Quartz store's firings and the gauges, all on one database.
/// </summary>
[Collection(MeasuredAloneCollection.Name)]
public sealed class PollCommitCostTests(ITestOutputHelper output) : IAsyncLifetime
{
    // Enough jobs per sweep that the per-firing costs (Quartz's own rows, the claim statement) are spread as thin
    // as they are in a deployment.
    private const int Jobs = 200;
    private const int Polls = 1200;

    private readonly string _targets = Path.Combine(Path.GetTempPath(), "commits-" + Guid.NewGuid().ToString("N"));
    private RealServers? _servers;

    public async Task InitializeAsync() => _servers = await RealServers.CreateAsync();

    public async Task DisposeAsync()
    {
        if (_servers is not null)
        {
            await _servers.DisposeAsync();
        }

        if (Directory.Exists(_targets))
        {
            Directory.Delete(_targets, recursive: true);
        }
    }

    [Fact]
    public async Task An_answered_poll_costs_at_most_one_postgres_commit_across_the_whole_system()
    {
        var settings = _servers!.Settings();
        settings["Vma:Simulated:VmCount"] = Jobs.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Vma:Simulated:DiskSize"] = "4MiB";
        settings["Vma:Simulated:BlockSize"] = "4KiB";
        settings["Vma:Simulated:ExtentSize"] = "64KiB";
        settings["Vma:Jobs:MaxConcurrentJobs"] = Jobs.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Vma:Jobs:ThroughputCapPerJob"] = "1KiB"; // every job streams for the whole test
        settings["Vma:Jobs:StageDelay"] = "00:00:00.050";
        settings["Vma:Target:Directory"] = _targets;
        // The seed's intervals as they are (poll every 2 s, write at least every 2 s).

        var system = await EmbeddedSystem.StartAsync(settings);
        await using var disposeOnFailure = system;
        using var answered = new AnsweredPolls(system.Services.GetRequiredService<IMeterFactory>());
        var run = Guid.NewGuid().ToString("N")[..8];
        var ids = Enumerable.Range(1, Jobs).Select(i => $"{run}-{i}").ToList();
        for (var i = 0; i < Jobs; i++)
        {
            await system.StartReplicationAsync(ids[i], $"demo-vm-{i + 1}", SyncType.Full);
        }

        foreach (var id in ids)
        {
            await system.WaitForAsync(id, j => j.Status == StatusMapping.Streaming, TimeSpan.FromSeconds(120));
        }

        // A backend reports its counts at most once a second while busy and after ten idle seconds: the starts'
        // commits are all counted before the window opens.
        await Task.Delay(TimeSpan.FromSeconds(12));
        var before = await CommitsAsync();
        var pollsBefore = answered.Count;
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (answered.Count - pollsBefore < Polls && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        // Stopped, every backend exits and reports its counts (an idle one may hold them back for seconds): the
        // shutdown's own commits are counted against the polls too.
        await system.StopAsync();
        var polls = answered.Count - pollsBefore;
        await system.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        var commits = await SettledCommitsAsync() - before;

        output.WriteLine($"{commits} commits for {polls} answered polls: {(double)commits / polls:0.00} per poll");
        Assert.True(polls >= Polls, $"only {polls} answered polls in 3 minutes");
        Assert.True(commits <= polls, $"{commits} commits for {polls} answered polls ({(double)commits / polls:0.00} per poll)");
    }

    private async Task<long> CommitsAsync()
    {
        await using var connection = new NpgsqlConnection(Admin());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT xact_commit FROM pg_stat_database WHERE datname = @name", connection);
        command.Parameters.AddWithValue("name", _servers!.Database);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>The count once no backend is connected to the database and two reads agree.</summary>
    private async Task<long> SettledCommitsAsync()
    {
        var reads = new List<long>();
        var last = -1L;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            await using (var connection = new NpgsqlConnection(Admin()))
            {
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand(
                    "SELECT (SELECT count(*) FROM pg_stat_activity WHERE datname = @name), xact_commit FROM pg_stat_database WHERE datname = @name", connection);
                command.Parameters.AddWithValue("name", _servers!.Database);
                await using var reader = await command.ExecuteReaderAsync();
                await reader.ReadAsync();
                var backends = reader.GetInt64(0);
                reads.Add(reader.GetInt64(1));
                last = backends;
                if (backends == 0 && reads.Count >= 2 && reads[^1] == reads[^2])
                {
                    return reads[^1];
                }
            }

            await Task.Delay(300);
        }

        throw new TimeoutException($"the commit count did not settle ({last} backends still connected): {string.Join(", ", reads.Distinct())}");
    }

    private string Admin() => new NpgsqlConnectionStringBuilder(_servers!.ConnectionString) { Database = "postgres", Pooling = false }.ConnectionString;

    /// <summary>Polls the system's own workers counted as answered (<c>migration.poll.duration</c>, outcome ok).</summary>
    private sealed class AnsweredPolls : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _count;

        public AnsweredPolls(IMeterFactory scope)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == OmaMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, scope) && instrument.Name == "migration.poll.duration")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "outcome" && Equals(tag.Value, "ok"))
                    {
                        Interlocked.Increment(ref _count);
                    }
                }
            });
            _listener.Start();
        }

        public long Count => Interlocked.Read(ref _count);

        public void Dispose() => _listener.Dispose();
    }
}
