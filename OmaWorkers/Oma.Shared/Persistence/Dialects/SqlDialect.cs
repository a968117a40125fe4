using System.Data;
using Dapper;
using Migration.Contracts.Status;

namespace Migration.Oma.Persistence.Dialects;

/// <summary>
/// Every SQL statement the persistence layer runs, written once here and overridden per provider only where the
/// dialects really differ: row limits, "insert unless it exists", the disk upsert and the migration lock.
/// </summary>
public abstract class SqlDialect
{
    private static readonly string ActiveStatusList = string.Join(", ", StatusMapping.ActiveJobStatuses.Select(s => $"'{s}'"));

    private static readonly string TerminalDiskStatusList = $"'{StatusMapping.Completed}', '{StatusMapping.Failed}'";

    private const string JobViewColumns =
        "id AS Id, status AS Status, current_operation AS CurrentOperation, progress_percent AS ProgressPercent, " +
        "bytes_transferred AS BytesTransferred, total_bytes AS TotalBytes, transfer_speed_bps AS TransferSpeedBps, eta_seconds AS EtaSeconds, " +
        "error_message AS ErrorMessage, vm_name AS VmName, vma_url AS VmaUrl, sync_type AS SyncType, " +
        "created_at AS CreatedAt, updated_at AS UpdatedAt, started_at AS StartedAt, completed_at AS CompletedAt, " +
        "last_contact_at AS LastContactAt, next_poll_at AS NextPollAt, " +
        "consecutive_poll_failures AS ConsecutivePollFailures, version AS Version, target_json AS TargetJson";

    private const string DiskColumns = "job_id, disk_id, label, sync_status, sync_progress_percent, bytes_synced, planned_bytes, disk_change_id, updated_at";

    private const string DiskValues = "@JobId, @DiskId, @Label, @SyncStatus, @SyncProgressPercent, @BytesSynced, @PlannedBytes, @DiskChangeId, @UpdatedAt";

    private const string CbtColumns =
        "job_id, disk_id, change_id, previous_change_id, sync_type, blocks_changed, bytes_transferred, sync_duration_seconds, sync_success, created_at";

    private const string CbtValues =
        "@JobId, @DiskId, @ChangeId, @PreviousChangeId, @SyncType, @BlocksChanged, @BytesTransferred, @SyncDurationSeconds, @SyncSuccess, @CreatedAt";

    private const string CbtViewColumns =
        "id AS Id, job_id AS JobId, disk_id AS DiskId, change_id AS ChangeId, previous_change_id AS PreviousChangeId, " +
        "sync_type AS SyncType, blocks_changed AS BlocksChanged, bytes_transferred AS BytesTransferred, " +
        "sync_duration_seconds AS SyncDurationSeconds, sync_success AS SyncSuccess, created_at AS CreatedAt";

    public static SqlDialect For(DatabaseProvider provider) => provider switch
    {
        DatabaseProvider.Sqlite => new SqliteDialect(),
        DatabaseProvider.Postgres => new PostgresDialect(),
        DatabaseProvider.SqlServer => new SqlServerDialect(),
        _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, "Database:Provider must be Sqlite, Postgres or SqlServer"),
    };

    public abstract DatabaseProvider Provider { get; }

    /// <summary>The folder under <c>Persistence/Scripts</c> that holds this provider's migration scripts.</summary>
    public abstract string ScriptFolder { get; }

    /// <summary>Converts a value into what the provider stores (timestamps in UTC; SQLite: ISO-8601 text, uuid text).</summary>
    public virtual object? ToParameter(object? value) => value switch
    {
        DateTimeOffset time => time.ToUniversalTime(),
        _ => value,
    };

    /// <summary>The parameter type of a NULL value of <paramref name="clrType"/>, so no provider has to guess.</summary>
    public virtual DbType? NullParameterType(Type clrType)
    {
        var type = Nullable.GetUnderlyingType(clrType) ?? clrType;
        return type == typeof(DateTimeOffset) ? DbType.DateTimeOffset
            : type == typeof(Guid) ? DbType.Guid
            : type == typeof(string) ? DbType.String
            : type == typeof(int) ? DbType.Int32
            : type == typeof(long) ? DbType.Int64
            : null;
    }

    /// <summary>
    /// True when a saga step's load runs in the transaction that later writes (one commit per step). Not on SQLite:
    /// a read transaction there cannot become a write once another connection wrote (SQLITE_BUSY_SNAPSHOT).
    /// </summary>
    public virtual bool ReadsInWriteTransaction => true;

    public object? Time(DateTimeOffset value) => ToParameter(value);

    public object? Time(DateTimeOffset? value) => value is null ? null : ToParameter(value.Value);

    public object? Uuid(Guid value) => ToParameter(value);

    /// <summary>A string bound for a <c>VARCHAR(length)</c> column (keys, statuses, change ids).</summary>
    public virtual object? Ansi(string? value, int length) => value;

    /// <summary>A string bound for an <c>NVARCHAR(length)</c> column (free text a user typed); -1 for MAX.</summary>
    public virtual object? Unicode(string? value, int length) => value;

    /// <summary>A percentage bound for a <c>DECIMAL(5,2)</c> column.</summary>
    public virtual object Percent(decimal value) => value;

    /// <summary>The one parameter <c>@JobId</c> of a lookup by job id.</summary>
    public DynamicParameters JobKey(string jobId)
    {
        var parameters = new DynamicParameters();
        AddText(parameters, "JobId", Ansi(jobId, 255));
        return parameters;
    }

    /// <summary>The one parameter <c>@VmName</c> of a lookup by VM name.</summary>
    public DynamicParameters VmKey(string vmName)
    {
        var parameters = new DynamicParameters();
        AddText(parameters, "VmName", Unicode(vmName, 255));
        return parameters;
    }

    public DynamicParameters DiskParameters(DiskRow disk)
    {
        ArgumentNullException.ThrowIfNull(disk);
        var parameters = new DynamicParameters();
        AddText(parameters, "JobId", Ansi(disk.JobId, 255));
        AddText(parameters, "DiskId", Ansi(disk.DiskId, 255));
        AddText(parameters, "Label", Unicode(disk.Label, 255));
        AddText(parameters, "SyncStatus", Ansi(disk.SyncStatus, 50));
        parameters.Add("SyncProgressPercent", Percent(disk.SyncProgressPercent));
        parameters.Add("BytesSynced", disk.BytesSynced);
        parameters.Add("PlannedBytes", disk.PlannedBytes);
        AddText(parameters, "DiskChangeId", Ansi(disk.DiskChangeId, 255));
        parameters.Add("UpdatedAt", Time(disk.UpdatedAt));
        return parameters;
    }

    public DynamicParameters CbtHistoryParameters(CbtHistoryRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var parameters = new DynamicParameters();
        AddText(parameters, "JobId", Ansi(row.JobId, 255));
        AddText(parameters, "DiskId", Ansi(row.DiskId, 255));
        AddText(parameters, "ChangeId", Ansi(row.ChangeId, 255));
        AddText(parameters, "PreviousChangeId", Ansi(row.PreviousChangeId, 255));
        AddText(parameters, "SyncType", Ansi(row.SyncType, 50));
        parameters.Add("BlocksChanged", row.BlocksChanged, DbType.Int32);
        parameters.Add("BytesTransferred", row.BytesTransferred);
        parameters.Add("SyncDurationSeconds", row.SyncDurationSeconds);
        parameters.Add("SyncSuccess", row.SyncSuccess);
        parameters.Add("CreatedAt", Time(row.CreatedAt));
        return parameters;
    }

    public DynamicParameters JobLogParameters(JobLogEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var parameters = new DynamicParameters();
        AddText(parameters, "JobId", Ansi(entry.JobId, 255));
        parameters.Add("CorrelationId", Uuid(entry.CorrelationId));
        parameters.Add("At", Time(entry.At));
        AddText(parameters, "Level", Ansi(entry.Level, 16));
        AddText(parameters, "EventKind", Ansi(entry.EventKind, 50));
        AddText(parameters, "Message", Unicode(entry.Message, -1));
        AddText(parameters, "DedupeKey", Ansi(entry.DedupeKey, 255));
        return parameters;
    }

    /// <summary>A text parameter; a NULL one is typed as text, so no provider has to guess.</summary>
    public static void AddText(DynamicParameters parameters, string name, object? value)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        parameters.Add(name, value, value is null ? DbType.String : null);
    }

    /// <summary>
    /// A statement whose row count the caller checks. Some servers run with NOCOUNT on (SQL Server's user options),
    /// and then report -1 for every statement.
    /// </summary>
    public virtual string CountingRows(string sql) => sql;

    // ---- the rows beside the job row ----

    /// <summary>What an existing disk row becomes: progress never backwards, terminal never reopened, change id only set.</summary>
    protected static string DiskMergeAssignments { get; } =
        "label = COALESCE(@Label, vm_disks.label), " +
        $"sync_status = CASE WHEN vm_disks.sync_status IN ({TerminalDiskStatusList}) THEN vm_disks.sync_status ELSE @SyncStatus END, " +
        "sync_progress_percent = CASE WHEN @SyncProgressPercent > vm_disks.sync_progress_percent THEN @SyncProgressPercent ELSE vm_disks.sync_progress_percent END, " +
        "bytes_synced = CASE WHEN @BytesSynced > vm_disks.bytes_synced THEN @BytesSynced ELSE vm_disks.bytes_synced END, " +
        "planned_bytes = CASE WHEN @PlannedBytes > 0 THEN @PlannedBytes ELSE vm_disks.planned_bytes END, " +
        "disk_change_id = COALESCE(vm_disks.disk_change_id, @DiskChangeId), " +
        "updated_at = CASE WHEN @UpdatedAt > vm_disks.updated_at THEN @UpdatedAt ELSE vm_disks.updated_at END";

    public string UpsertDisk { get => field ??= BuildUpsertDisk(DiskColumns, DiskValues, DiskMergeAssignments); }

    public string InsertCbtHistory
    {
        get => field ??= CountingRows(InsertUnlessExists("cbt_history", CbtColumns, CbtValues, "job_id = @JobId AND disk_id = @DiskId"));
    }

    public string AppendJobLog
    {
        get => field ??= CountingRows(InsertUnlessExists(
            "job_log",
            "job_id, correlation_id, logged_at, level, event_kind, message, dedupe_key",
            "@JobId, @CorrelationId, @At, @Level, @EventKind, @Message, @DedupeKey",
            "job_id = @JobId AND dedupe_key = @DedupeKey"));
    }

    public string LastChangeIds
    {
        get => field ??=
            "SELECT ranked.disk_id AS DiskId, ranked.disk_change_id AS DiskChangeId FROM (" +
            "SELECT d.disk_id, d.disk_change_id, " +
            "ROW_NUMBER() OVER (PARTITION BY d.disk_id ORDER BY d.updated_at DESC, j.created_at DESC) AS newest " +
            "FROM vm_disks d INNER JOIN replication_jobs j ON j.id = d.job_id " +
            $"WHERE j.vm_name = @VmName AND d.sync_status = '{StatusMapping.Completed}' AND d.disk_change_id IS NOT NULL" +
            ") ranked WHERE ranked.newest = 1";
    }

    // ---- reads ----

    public string DuePolls
    {
        get => field ??= SelectTop(
            "@Limit",
            "id AS JobId, vma_url AS VmaUrl FROM replication_jobs " +
            $"WHERE status IN ({ActiveStatusList}) AND next_poll_at <= @Now ORDER BY next_poll_at, id");
    }

    /// <summary>What makes a job due: live, and its next poll time reached.</summary>
    protected static string DueCondition { get; } = $"status IN ({ActiveStatusList}) AND next_poll_at <= @DueBy";

    /// <summary>No poll of the job in flight: never claimed, released, or the claim outlived its poll.</summary>
    protected const string Unclaimed = "(poll_claimed_until IS NULL OR poll_claimed_until <= @Now)";

    /// <summary>Not a job the saga is behind on (<see cref="BehindHold"/>), or one whose hold has passed.</summary>
    protected const string NotHeldBack =
        "(next_poll_at > @BehindDueBy OR poll_claimed_until IS NULL OR poll_claimed_until <= @LastClaimEndedBy)";

    /// <summary>
    /// Claims the jobs due by <c>@DueBy</c> that have no poll in flight at <c>@Now</c> and are not held back
    /// (<see cref="NotHeldBack"/>) until <c>@Until</c> and returns them (<c>JobId</c>, <c>VmaUrl</c>): the claim is what
    /// keeps a second poll of a job from starting anywhere while the first still waits for the VMA.
    /// </summary>
    public string ClaimDuePolls { get => field ??= BuildClaimDuePolls(); }

    /// <summary>Moves the end of the claim <c>@Until</c> of job <c>@JobId</c> to <c>@ReleasedAt</c> (another claim is left alone); its row count says which.</summary>
    public string ReleasePollClaim
    {
        get => field ??= CountingRows("UPDATE replication_jobs SET poll_claimed_until = @ReleasedAt WHERE id = @JobId AND poll_claimed_until = @Until");
    }

    /// <summary>Live jobs whose last successful contact (or creation) is at or before <c>@Cutoff</c>.</summary>
    public string OverdueJobs
    {
        get => field ??= SelectTop(
            "@Limit",
            $"id AS JobId FROM replication_jobs WHERE status IN ({ActiveStatusList}) AND COALESCE(last_contact_at, created_at) <= @Cutoff ORDER BY id");
    }

    protected virtual string BuildClaimDuePolls() =>
        "UPDATE replication_jobs SET poll_claimed_until = @Until WHERE id IN (" +
        SelectTop("@Limit", $"id FROM replication_jobs WHERE {DueCondition} AND {Unclaimed} AND {NotHeldBack} ORDER BY next_poll_at, id") +
        $") AND {Unclaimed} RETURNING id AS JobId, vma_url AS VmaUrl";

    /// <summary>The seed's "Active replication jobs", over every live status (the seed's list left out two of them).</summary>
    public string ActiveJobs
    {
        get => field ??=
            "SELECT id AS Id, status AS Status, current_operation AS CurrentOperation, progress_percent AS ProgressPercent, updated_at AS UpdatedAt " +
            $"FROM replication_jobs WHERE status IN ({ActiveStatusList}) ORDER BY updated_at DESC, id";
    }

    /// <summary>The seed's "Recent CBT history".</summary>
    public string RecentCbtHistory
    {
        get => field ??= SelectTop("@Limit", $"{CbtViewColumns} FROM cbt_history ORDER BY created_at DESC, id DESC");
    }

    /// <summary>The seed's "Progress tracking health", with its <c>DATE_SUB(NOW(), INTERVAL 24 HOUR)</c> as <c>@Since</c>.</summary>
    public string Health
    {
        get => field ??=
            "SELECT COUNT(*) AS TotalJobs, " +
            $"COALESCE(SUM(CASE WHEN status = '{StatusMapping.Completed}' THEN 1 ELSE 0 END), 0) AS Completed, " +
            $"COALESCE(SUM(CASE WHEN status = '{StatusMapping.Failed}' THEN 1 ELSE 0 END), 0) AS Failed " +
            "FROM replication_jobs WHERE created_at > @Since";
    }

    public string Job { get => field ??= $"SELECT {JobViewColumns} FROM replication_jobs WHERE id = @JobId"; }

    public string Jobs { get => field ??= SelectTop("@Limit", $"{JobViewColumns} FROM replication_jobs ORDER BY created_at DESC, id"); }

    /// <summary>One page of <see cref="Jobs"/> (<c>@Limit</c> rows after <c>@Offset</c>), for the read-only API.</summary>
    public string JobsPage { get => field ??= SelectPage($"{JobViewColumns} FROM replication_jobs ORDER BY created_at DESC, id"); }

    /// <summary><see cref="JobsPage"/> of the jobs whose status is <c>@Status</c>.</summary>
    public string JobsPageByStatus
    {
        get => field ??= SelectPage($"{JobViewColumns} FROM replication_jobs WHERE status = @Status ORDER BY created_at DESC, id");
    }

    /// <summary>The newest <c>@Limit</c> cbt_history rows of the VM <c>@VmName</c>'s jobs (its earlier syncs, for an ETA).</summary>
    public string VmCbtHistory
    {
        get => field ??= SelectTop(
            "@Limit",
            "h.id AS Id, h.job_id AS JobId, h.disk_id AS DiskId, h.change_id AS ChangeId, h.previous_change_id AS PreviousChangeId, " +
            "h.sync_type AS SyncType, h.blocks_changed AS BlocksChanged, h.bytes_transferred AS BytesTransferred, " +
            "h.sync_duration_seconds AS SyncDurationSeconds, h.sync_success AS SyncSuccess, h.created_at AS CreatedAt " +
            "FROM cbt_history h INNER JOIN replication_jobs j ON j.id = h.job_id WHERE j.vm_name = @VmName ORDER BY h.created_at DESC, h.id DESC");
    }

    public string Disks
    {
        get => field ??=
            "SELECT job_id AS JobId, disk_id AS DiskId, label AS Label, sync_status AS SyncStatus, " +
            "sync_progress_percent AS SyncProgressPercent, bytes_synced AS BytesSynced, planned_bytes AS PlannedBytes, " +
            "disk_change_id AS DiskChangeId, updated_at AS UpdatedAt FROM vm_disks WHERE job_id = @JobId ORDER BY disk_id";
    }

    public string CbtHistoryOfJob { get => field ??= $"SELECT {CbtViewColumns} FROM cbt_history WHERE job_id = @JobId ORDER BY id"; }

    public string JobLogOfJob
    {
        get => field ??=
            "SELECT id AS Id, job_id AS JobId, correlation_id AS CorrelationId, logged_at AS At, level AS Level, " +
            "event_kind AS EventKind, message AS Message FROM job_log WHERE job_id = @JobId ORDER BY id";
    }

    // ---- retention: cbt_history_archive ----

    /// <summary>The last id of the next batch: the lowest <c>@Limit</c> ids above <c>@After</c> of rows created before <c>@Cutoff</c>.</summary>
    public string ArchiveBatchEnd
    {
        get => field ??= "SELECT MAX(id) FROM (" + SelectTop("@Limit", "id FROM cbt_history WHERE id > @After AND created_at < @Cutoff ORDER BY id") + ") batch";
    }

    /// <summary>Copies one batch into the archive; a row already there is not copied again.</summary>
    public string ArchiveCopy
    {
        get => field ??= CountingRows(
            $"INSERT INTO cbt_history_archive (id, {CbtColumns}, archived_at) " +
            $"SELECT h.id, {string.Join(", ", CbtColumns.Split(", ").Select(c => "h." + c))}, @ArchivedAt FROM cbt_history h " +
            "WHERE h.id > @After AND h.id <= @Through AND h.created_at < @Cutoff " +
            "AND NOT EXISTS (SELECT 1 FROM cbt_history_archive a WHERE a.id = h.id)");
    }

    /// <summary>Deletes from the live table exactly the rows of the batch that the archive holds.</summary>
    public string ArchiveRemove
    {
        get => field ??= CountingRows(
            "DELETE FROM cbt_history WHERE id > @After AND id <= @Through AND created_at < @Cutoff " +
            "AND EXISTS (SELECT 1 FROM cbt_history_archive a WHERE a.id = cbt_history.id)");
    }

    public string HistoryCounts
    {
        get => field ??=
            "SELECT (SELECT COUNT(*) FROM cbt_history) AS Live, (SELECT COUNT(*) FROM cbt_history_archive) AS Archived, " +
            "(SELECT COUNT(*) FROM cbt_history WHERE created_at < @Cutoff) AS Due";
    }

    /// <summary>The parameters of one archive statement, typed (BIGINT ids, INT limit), so no provider guesses.</summary>
    public DynamicParameters ArchiveParameters(DateTimeOffset cutoff, long after, long through, int limit, DateTimeOffset archivedAt)
    {
        var parameters = new DynamicParameters();
        parameters.Add("Cutoff", Time(cutoff));
        parameters.Add("After", after, DbType.Int64);
        parameters.Add("Through", through, DbType.Int64);
        parameters.Add("Limit", limit, DbType.Int32);
        parameters.Add("ArchivedAt", Time(archivedAt));
        return parameters;
    }

    // ---- migrations ----

    /// <summary>Held around the schema migration so replicas that start together migrate one at a time (null: a file lock).</summary>
    public virtual string? AcquireMigrationLock => null;

    public virtual string? ReleaseMigrationLock => null;

    /// <summary>Every statement above, by name (the SQL Server ones are parsed by a test; the saga's own are in the workers).</summary>
    public IReadOnlyDictionary<string, string> AllStatements()
    {
        var statements = new Dictionary<string, string>
        {
            [nameof(UpsertDisk)] = UpsertDisk,
            [nameof(InsertCbtHistory)] = InsertCbtHistory,
            [nameof(AppendJobLog)] = AppendJobLog,
            [nameof(LastChangeIds)] = LastChangeIds,
            [nameof(DuePolls)] = DuePolls,
            [nameof(ClaimDuePolls)] = ClaimDuePolls,
            [nameof(ReleasePollClaim)] = ReleasePollClaim,
            [nameof(OverdueJobs)] = OverdueJobs,
            [nameof(ActiveJobs)] = ActiveJobs,
            [nameof(RecentCbtHistory)] = RecentCbtHistory,
            [nameof(Health)] = Health,
            [nameof(Job)] = Job,
            [nameof(Jobs)] = Jobs,
            [nameof(JobsPage)] = JobsPage,
            [nameof(JobsPageByStatus)] = JobsPageByStatus,
            [nameof(VmCbtHistory)] = VmCbtHistory,
            [nameof(Disks)] = Disks,
            [nameof(CbtHistoryOfJob)] = CbtHistoryOfJob,
            [nameof(JobLogOfJob)] = JobLogOfJob,
            [nameof(ArchiveBatchEnd)] = ArchiveBatchEnd,
            [nameof(ArchiveCopy)] = ArchiveCopy,
            [nameof(ArchiveRemove)] = ArchiveRemove,
            [nameof(HistoryCounts)] = HistoryCounts,
        };
        if (AcquireMigrationLock is { } acquire)
        {
            statements[nameof(AcquireMigrationLock)] = acquire;
        }

        if (ReleaseMigrationLock is { } release)
        {
            statements[nameof(ReleaseMigrationLock)] = release;
        }

        return statements;
    }

    /// <summary>A SELECT of at most <paramref name="limitParameter"/> rows; <paramref name="rest"/> starts after SELECT.</summary>
    protected virtual string SelectTop(string limitParameter, string rest) => $"SELECT {rest} LIMIT {limitParameter}";

    /// <summary>A SELECT of <c>@Limit</c> rows after skipping <c>@Offset</c>; <paramref name="rest"/> starts after SELECT and ends with its ORDER BY.</summary>
    protected virtual string SelectPage(string rest) => $"SELECT {rest} LIMIT @Limit OFFSET @Offset";

    /// <summary>
    /// An INSERT that adds nothing (0 rows) when a unique key already holds the row; one condition per unique key, so
    /// each probe can seek its own index.
    /// </summary>
    public virtual string InsertUnlessExists(string table, string columns, string values, params string[] keyConditions) =>
        $"INSERT INTO {table} ({columns}) VALUES ({values}) ON CONFLICT DO NOTHING";

    protected virtual string BuildUpsertDisk(string columns, string values, string mergeAssignments) =>
        $"INSERT INTO vm_disks ({columns}) VALUES ({values}) ON CONFLICT (job_id, disk_id) DO UPDATE SET {mergeAssignments}";
}
