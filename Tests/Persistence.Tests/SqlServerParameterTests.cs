using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using Dapper;
using Microsoft.Data.SqlClient;
using Microsoft.SqlServer.TransactSql.ScriptDom;
using Migration.Contracts.Status;
using Migration.Oma.Persistence;
using Migration.Oma.Persistence.Dialects;
using Migration.OmaWorkers.SagaRepository;

namespace Migration.Tests.Persistence;

/// <summary>
/// SQL Server cannot run here, so the parameters Dapper builds for its statements are inspected instead: each one's
/// SqlClient type, size, precision and scale against its column in the SQL Server scripts.
/// </summary>
public sealed class SqlServerParameterTests
{
    private static readonly SqlServerDialect Dialect = new();

    [Fact]
    public async Task Side_row_parameters_have_their_columns_types()
    {
        var recorder = new RecordingConnection();
        var writer = new SideRowWriter(Dialect, new PersistenceMetrics());
        var disk = new DiskRow { JobId = "job-a", DiskId = "disk-0", Label = "Hard disk 1", SyncStatus = StatusMapping.DiskSyncing, SyncProgressPercent = 12.5m, UpdatedAt = TestJobs.Now };
        await writer.UpsertDisksAsync(recorder, null!, [disk, disk with { DiskChangeId = "52 a1/7" }], default);
        await writer.AddCbtHistoryAsync(recorder, null!, [new CbtHistoryRow { JobId = "job-a", DiskId = "disk-0", SyncType = "full", ChangeId = "52 a1/7", CreatedAt = TestJobs.Now }], default);
        await writer.AppendJobLogAsync(recorder, null!, [new JobLogEntry { JobId = "job-a", EventKind = "stage", Message = "Stage Transfer", DedupeKey = "stage-Transfer", At = TestJobs.Now }], default);

        AssertColumnTypes(recorder, ("vm_disks", 2), ("cbt_history", 1), ("job_log", 1));
    }

    [Fact]
    public void Saga_row_parameters_have_their_columns_types()
    {
        var recorder = new RecordingConnection();
        var statements = new ReplicationStateStatements(Dialect);
        var state = TestJobs.NewState("job-a");
        state.ProgressPercent = 42.42m;
        recorder.Execute(new CommandDefinition(statements.Insert, ReplicationStateColumns.Parameters(state, Dialect)));
        state.ErrorMessage = "boom";
        recorder.Execute(new CommandDefinition(statements.Update, ReplicationStateColumns.Parameters(state, Dialect)));

        AssertColumnTypes(recorder, ("replication_jobs", 2));
    }

    [Fact]
    public void A_job_id_lookup_binds_a_varchar_key()
    {
        var recorder = new RecordingConnection();
        recorder.Query<DiskRow>(new CommandDefinition(Dialect.Disks, Dialect.JobKey("job-a")));

        var parameter = Assert.Single(recorder.Commands.Single().SqlParameters);
        Assert.Equal((SqlDbType.VarChar, 255), (parameter.SqlDbType, parameter.Size));
    }

    [Fact]
    public void Statements_whose_row_count_is_checked_count_rows_even_under_nocount()
    {
        var statements = new ReplicationStateStatements(Dialect);
        Assert.All([statements.Insert, statements.Update, Dialect.AppendJobLog, Dialect.InsertCbtHistory],
            sql => Assert.StartsWith("SET NOCOUNT OFF;", sql, StringComparison.Ordinal));
    }

    [Fact]
    public void The_saga_insert_probes_each_key_with_its_own_seek()
    {
        var insert = new ReplicationStateStatements(Dialect).Insert;
        Assert.DoesNotContain(" OR ", insert, StringComparison.Ordinal);
        Assert.Equal(2, insert.Split("NOT EXISTS", StringSplitOptions.None).Length - 1);
    }

    [Fact]
    public void Key_columns_end_with_a_binary_collation()
    {
        var columns = SqlServerColumns();
        Assert.All(
            new[] { ("replication_jobs", "id"), ("vm_disks", "job_id"), ("vm_disks", "disk_id"), ("cbt_history", "job_id"), ("cbt_history", "disk_id"), ("job_log", "job_id"), ("job_log", "dedupe_key") },
            key => Assert.Equal("Latin1_General_100_BIN2", columns[key].Collation));
    }

    private static void AssertColumnTypes(RecordingConnection recorder, params (string Table, int Count)[] expected)
    {
        var columns = SqlServerColumns();
        var commands = recorder.Commands;
        Assert.Equal(expected.Sum(e => e.Count), commands.Count);
        var index = 0;
        foreach (var (table, count) in expected)
        {
            for (var i = 0; i < count; i++, index++)
            {
                foreach (var parameter in commands[index].SqlParameters)
                {
                    var column = columns[(table, ColumnOf(table, parameter.ParameterName))];
                    var what = $"{table}: @{parameter.ParameterName} as {parameter.SqlDbType}({parameter.Size}) for {column.Type}({column.Length})";
                    switch (column.Type)
                    {
                        case "VARCHAR":
                            Assert.True(parameter.SqlDbType == SqlDbType.VarChar && parameter.Size == column.Length, what);
                            break;
                        case "NVARCHAR":
                            Assert.True(parameter.SqlDbType == SqlDbType.NVarChar && parameter.Size == column.Length, what);
                            break;
                        case "DECIMAL":
                            Assert.True(parameter.SqlDbType == SqlDbType.Decimal && parameter.Precision == column.Length && parameter.Scale == column.Scale, what);
                            break;
                        default:
                            Assert.False(parameter.SqlDbType is SqlDbType.NVarChar or SqlDbType.VarChar, what);
                            break;
                    }
                }
            }
        }
    }

    private static string ColumnOf(string table, string parameter)
    {
        var name = parameter.TrimStart('@');
        return (table, name) switch
        {
            ("replication_jobs", "JobId") => "id",
            ("replication_jobs", "CurrentState") => "saga_state",
            ("job_log", "At") => "logged_at",
            _ => string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString())),
        };
    }

    private sealed record ColumnType(string Type, int Length, int Scale, string? Collation);

    /// <summary>Every column as the SQL Server scripts leave it (ALTER TABLE … ADD included; a later ALTER COLUMN wins).</summary>
    private static Dictionary<(string Table, string Column), ColumnType> SqlServerColumns()
    {
        var columns = new Dictionary<(string, string), ColumnType>();
        foreach (var script in DatabaseMigrator.ScriptNames(DatabaseProvider.SqlServer))
        {
            var parser = new TSql160Parser(initialQuotedIdentifiers: true);
            using var reader = new StringReader(DatabaseMigrator.ReadScript(script));
            var fragment = parser.Parse(reader, out var errors);
            Assert.Empty(errors);
            fragment.Accept(new ColumnVisitor(columns));
        }

        return columns;
    }

    private sealed class ColumnVisitor(Dictionary<(string, string), ColumnType> columns) : TSqlFragmentVisitor
    {
        public override void ExplicitVisit(CreateTableStatement node)
        {
            foreach (var column in node.Definition.ColumnDefinitions)
            {
                Add(node.SchemaObjectName.BaseIdentifier.Value, column.ColumnIdentifier.Value, column.DataType, column.Collation);
            }
        }

        public override void ExplicitVisit(AlterTableAddTableElementStatement node)
        {
            foreach (var column in node.Definition.ColumnDefinitions)
            {
                Add(node.SchemaObjectName.BaseIdentifier.Value, column.ColumnIdentifier.Value, column.DataType, column.Collation);
            }
        }

        public override void ExplicitVisit(AlterTableAlterColumnStatement node) =>
            Add(node.SchemaObjectName.BaseIdentifier.Value, node.ColumnIdentifier.Value, node.DataType, node.Collation);

        private void Add(string table, string column, DataTypeReference type, Identifier? collation)
        {
            var name = type is SqlDataTypeReference sql ? sql.SqlDataTypeOption.ToString().ToUpperInvariant() : type.Name.BaseIdentifier.Value.ToUpperInvariant();
            var parameters = type is ParameterizedDataTypeReference p ? p.Parameters : [];
            var length = parameters.Count > 0 ? (parameters[0].LiteralType == LiteralType.Max ? -1 : int.Parse(parameters[0].Value, System.Globalization.CultureInfo.InvariantCulture)) : 0;
            var scale = parameters.Count > 1 ? int.Parse(parameters[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
            columns[(table, column)] = new ColumnType(name, length, scale, collation?.Value ?? columns.GetValueOrDefault((table, column))?.Collation);
        }
    }

    /// <summary>TEST ONLY: a connection whose commands keep the SqlClient parameters Dapper adds and run nothing.</summary>
    [SuppressMessage("Design", "CA1063", Justification = "test double")]
    private sealed class RecordingConnection : DbConnection
    {
        public List<RecordedCommand> Commands { get; } = [];

        [AllowNull]
        public override string ConnectionString { get; set; } = "";

        public override string Database => "recording";

        public override string DataSource => "recording";

        public override string ServerVersion => "16.0";

        public override ConnectionState State => ConnectionState.Open;

        public override void ChangeDatabase(string databaseName) { }

        public override void Close() { }

        public override void Open() { }

        protected override DbTransaction BeginDbTransaction(System.Data.IsolationLevel isolationLevel) => throw new NotSupportedException();

        protected override DbCommand CreateDbCommand()
        {
            var command = new RecordedCommand();
            Commands.Add(command);
            return command;
        }
    }

    private sealed class RecordedCommand : DbCommand
    {
        private readonly SqlCommand inner = new();

        /// <summary>The parameters as they were when the command ran (Dapper clears them after a query).</summary>
        public List<SqlParameter> SqlParameters { get; private set; } = [];

        [AllowNull]
        public override string CommandText { get => inner.CommandText; set => inner.CommandText = value; }

        public override int CommandTimeout { get; set; }

        public override CommandType CommandType { get; set; }

        public override bool DesignTimeVisible { get; set; }

        public override UpdateRowSource UpdatedRowSource { get; set; }

        protected override DbConnection? DbConnection { get; set; }

        protected override DbParameterCollection DbParameterCollection => inner.Parameters;

        protected override DbTransaction? DbTransaction { get; set; }

        public override void Cancel() { }

        public override int ExecuteNonQuery()
        {
            SqlParameters = inner.Parameters.Cast<SqlParameter>().ToList();
            return 1;
        }

        public override object? ExecuteScalar() => null;

        public override void Prepare() { }

        protected override DbParameter CreateDbParameter() => new SqlParameter();

        protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior)
        {
            SqlParameters = inner.Parameters.Cast<SqlParameter>().ToList();
            return new DataTable().CreateDataReader();
        }

        protected override void Dispose(bool disposing)
        {
            inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
