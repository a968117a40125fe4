namespace Migration.Oma.Persistence.Dialects;

/// <summary>
/// SQL Server: TOP instead of LIMIT, and guarded inserts instead of ON CONFLICT. The guards take UPDLOCK + HOLDLOCK
/// on the key range they probe, so two writers of the same key serialise instead of both inserting.
/// </summary>
public sealed class SqlServerDialect : SqlDialect
{
    public const string MigrationLockResource = "Migration.Persistence.schema";

    public override DatabaseProvider Provider => DatabaseProvider.SqlServer;

    public override string ScriptFolder => "SqlServer";

    public override string AcquireMigrationLock =>
        "DECLARE @result INT; " +
        $"EXEC @result = sp_getapplock @Resource = N'{MigrationLockResource}', @LockMode = N'Exclusive', @LockOwner = N'Session', @LockTimeout = 600000; " +
        "IF @result < 0 THROW 51000, N'could not take the schema migration lock', 1;";

    public override string ReleaseMigrationLock =>
        $"EXEC sp_releaseapplock @Resource = N'{MigrationLockResource}', @LockOwner = N'Session';";

    protected override string SelectTop(string limitParameter, string rest) => $"SELECT TOP ({limitParameter}) {rest}";

    /// <summary>
    /// No RETURNING: an updatable CTE with OUTPUT. READPAST skips rows a saga step holds locked (they are claimed at
    /// the next sweep) instead of waiting for them.
    /// </summary>
    protected override string BuildClaimDuePolls() =>
        "WITH due AS (SELECT TOP (@Limit) id, vma_url, poll_claimed_until FROM replication_jobs WITH (UPDLOCK, READPAST, ROWLOCK) " +
        $"WHERE {DueCondition} AND {Unclaimed} AND {NotHeldBack} ORDER BY next_poll_at, id) " +
        "UPDATE due SET poll_claimed_until = @Until OUTPUT inserted.id AS JobId, inserted.vma_url AS VmaUrl;";

    protected override string SelectPage(string rest) => $"SELECT {rest} OFFSET @Offset ROWS FETCH NEXT @Limit ROWS ONLY";

    /// <summary>One NOT EXISTS per key: an OR of two keys under UPDLOCK, HOLDLOCK compiles to a scan that range-locks the table.</summary>
    public override string InsertUnlessExists(string table, string columns, string values, params string[] keyConditions) =>
        $"INSERT INTO {table} ({columns}) SELECT {values} WHERE " +
        string.Join(" AND ", keyConditions.Select(c => $"NOT EXISTS (SELECT 1 FROM {table} WITH (UPDLOCK, HOLDLOCK) WHERE {c})"));

    /// <summary>
    /// Key columns are VARCHAR: a string bound as Dapper's default NVARCHAR(4000) turns every <c>WHERE id = @JobId</c>
    /// into CONVERT_IMPLICIT on the column under SQL collations, an index scan (and range locks under HOLDLOCK).
    /// </summary>
    public override object? Ansi(string? value, int length) => new TextParameter(value, ansi: true, length);

    public override object? Unicode(string? value, int length) => new TextParameter(value, ansi: false, length);

    public override object Percent(decimal value) => new DecimalParameter(value, 5, 2);

    public override string CountingRows(string sql) => "SET NOCOUNT OFF; " + sql;

    protected override string BuildUpsertDisk(string columns, string values, string mergeAssignments) =>
        $"UPDATE vm_disks WITH (UPDLOCK, SERIALIZABLE) SET {mergeAssignments} WHERE job_id = @JobId AND disk_id = @DiskId; " +
        $"IF @@ROWCOUNT = 0 INSERT INTO vm_disks ({columns}) VALUES ({values});";
}
