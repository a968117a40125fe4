using Dapper;
using Migration.Contracts.Status;
using Migration.Oma.Persistence;
using Migration.Oma.Telemetry;

namespace Migration.Scheduler.Telemetry;

/// <summary>One reading of the jobs table: active jobs by status, stage and VMA with their bytes; finished jobs by status.</summary>
public sealed record JobCounts(IReadOnlyList<ActiveJobGroup> Active, IReadOnlyDictionary<string, long> Finished)
{
    public static readonly JobCounts Empty = new([], new Dictionary<string, long>());
}

/// <param name="Vma">The VMA's host and port (see <see cref="VmaLabel"/>).</param>
public sealed record ActiveJobGroup(string Status, string Stage, string Vma, long Jobs, long PlannedBytes, long TransferredBytes, long ThroughputBps);

/// <summary>The two grouped queries behind the job gauges (plain SQL: the same on SQLite, PostgreSQL and SQL Server).</summary>
public sealed class JobCountsQuery(DbConnectionFactory connections)
{
    // The statuses are the product's own constants, written into the SQL: one text for every provider (Dapper
    // expands a list parameter for SQLite and SQL Server but hands Npgsql an array, which IN does not take).
    private static readonly string ActiveSql = $"""
        SELECT status AS Status, current_operation AS Stage, vma_url AS VmaUrl, COUNT(*) AS Jobs,
               SUM(total_bytes) AS PlannedBytes, SUM(bytes_transferred) AS TransferredBytes, SUM(transfer_speed_bps) AS ThroughputBps
        FROM replication_jobs WHERE status IN ({InList(StatusMapping.ActiveJobStatuses)}) GROUP BY status, current_operation, vma_url
        """;

    private static readonly string FinishedSql =
        $"SELECT status AS Status, COUNT(*) AS Jobs FROM replication_jobs WHERE status IN ({InList(StatusMapping.TerminalJobStatuses)}) GROUP BY status";

    public async Task<JobCounts> ReadAsync(CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        var active = await connection.QueryAsync<ActiveRow>(
            new CommandDefinition(ActiveSql, cancellationToken: cancellationToken));
        var finished = await connection.QueryAsync<FinishedRow>(
            new CommandDefinition(FinishedSql, cancellationToken: cancellationToken));

        // Several URLs of one VMA (a trailing slash, an IP and a name) count as one label value.
        var groups = active
            .GroupBy(r => (r.Status, Stage: r.Stage ?? "none", Vma: VmaLabel.Of(r.VmaUrl)))
            .Select(g => new ActiveJobGroup(g.Key.Status, g.Key.Stage, g.Key.Vma,
                (long)g.Sum(r => r.Jobs), (long)g.Sum(r => r.PlannedBytes), (long)g.Sum(r => r.TransferredBytes), (long)g.Sum(r => r.ThroughputBps)))
            .ToList();
        return new JobCounts(groups, finished.ToDictionary(r => r.Status, r => (long)r.Jobs, StringComparer.Ordinal));
    }

    private static string InList(IEnumerable<string> statuses) => string.Join(", ", statuses.Select(s => $"'{s}'"));

    private sealed class ActiveRow
    {
        public string Status { get; set; } = "";

        public string? Stage { get; set; }

        public string VmaUrl { get; set; } = "";

        public decimal Jobs { get; set; }

        public decimal PlannedBytes { get; set; }

        public decimal TransferredBytes { get; set; }

        public decimal ThroughputBps { get; set; }
    }

    private sealed class FinishedRow
    {
        public string Status { get; set; } = "";

        public decimal Jobs { get; set; }
    }
}
