using Dapper;
using Npgsql;

using Migration.Tests.Support;

namespace Migration.Tests.Cluster.Infrastructure;

/// <summary>Reads the product's tables directly, the way a DBA checking the run would.</summary>
public sealed class JobDatabase(string connectionString)
{
    public string ConnectionString { get; } = connectionString;

    public async Task<IReadOnlyList<JobRow>> GetJobsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<JobRow>(new CommandDefinition(
            "SELECT id AS Id, status AS Status, current_operation AS CurrentOperation, progress_percent AS ProgressPercent, " +
            "bytes_transferred AS BytesTransferred, total_bytes AS TotalBytes, error_message AS ErrorMessage, vm_name AS VmName, " +
            "created_at AS CreatedAt, completed_at AS CompletedAt, last_contact_at AS LastContactAt, saga_state AS SagaState, " +
            "version AS Version FROM replication_jobs ORDER BY id",
            cancellationToken: cancellationToken));
        return rows.AsList();
    }

    public async Task<IReadOnlyList<DiskRow>> GetDisksAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<DiskRow>(new CommandDefinition(
            "SELECT job_id AS JobId, disk_id AS DiskId, label AS Label, sync_status AS SyncStatus, sync_progress_percent AS SyncProgressPercent, " +
            "bytes_synced AS BytesSynced, planned_bytes AS PlannedBytes, disk_change_id AS DiskChangeId " +
            "FROM vm_disks ORDER BY job_id, disk_id",
            cancellationToken: cancellationToken));
        return rows.AsList();
    }

    public async Task<IReadOnlyList<CbtRow>> GetCbtHistoryAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<CbtRow>(new CommandDefinition(
            "SELECT id AS Id, job_id AS JobId, disk_id AS DiskId, change_id AS ChangeId, sync_type AS SyncType, " +
            "bytes_transferred AS BytesTransferred, sync_success AS SyncSuccess FROM cbt_history ORDER BY job_id, disk_id, id",
            cancellationToken: cancellationToken));
        return rows.AsList();
    }

    public async Task<IReadOnlyList<LogRow>> GetJobLogAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<LogRow>(new CommandDefinition(
            "SELECT id AS Id, job_id AS JobId, logged_at AS LoggedAt, level AS Level, event_kind AS EventKind, message AS Message " +
            "FROM job_log ORDER BY job_id, id",
            cancellationToken: cancellationToken));
        return rows.AsList();
    }

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }
}

public sealed class JobRow
{
    public string Id { get; set; } = "";
    public string Status { get; set; } = "";
    public string? CurrentOperation { get; set; }
    public decimal ProgressPercent { get; set; }
    public long BytesTransferred { get; set; }
    public long TotalBytes { get; set; }
    public string? ErrorMessage { get; set; }
    public string VmName { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
    public DateTime? LastContactAt { get; set; }
    public string SagaState { get; set; } = "";
    public int Version { get; set; }

    public override string ToString() =>
        $"{Id} {Status}/{SagaState} {CurrentOperation} {ProgressPercent}% {BytesTransferred}/{TotalBytes} {ErrorMessage}";
}

public sealed class DiskRow
{
    public string JobId { get; set; } = "";
    public string DiskId { get; set; } = "";
    public string? Label { get; set; }
    public string SyncStatus { get; set; } = "";
    public decimal SyncProgressPercent { get; set; }
    public long BytesSynced { get; set; }
    public long PlannedBytes { get; set; }
    public string? DiskChangeId { get; set; }
}

public sealed class CbtRow
{
    public long Id { get; set; }
    public string JobId { get; set; } = "";
    public string DiskId { get; set; } = "";
    public string? ChangeId { get; set; }
    public string SyncType { get; set; } = "";
    public long BytesTransferred { get; set; }
    public bool SyncSuccess { get; set; }
}

public sealed class LogRow
{
    public long Id { get; set; }
    public string JobId { get; set; } = "";
    public DateTime LoggedAt { get; set; }
    public string Level { get; set; } = "";
    public string EventKind { get; set; } = "";
    public string Message { get; set; } = "";
}
