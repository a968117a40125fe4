using Microsoft.SqlServer.TransactSql.ScriptDom;
using Migration.Oma.Persistence;
using Migration.Oma.Persistence.Dialects;
using Migration.OmaWorkers.SagaRepository;

namespace Migration.Tests.Persistence;

/// <summary>SQL Server cannot run here: every T-SQL script and statement is at least parsed by SQL Server's own parser.</summary>
public sealed class SqlServerScriptTests
{
    public static TheoryData<string> Scripts => new(DatabaseMigrator.ScriptNames(DatabaseProvider.SqlServer));

    public static TheoryData<string> Statements => new(AllSqlServerStatements().Keys);

    private static Dictionary<string, string> AllSqlServerStatements()
    {
        var dialect = new SqlServerDialect();
        return dialect.AllStatements().Concat(new ReplicationStateStatements(dialect).All()).ToDictionary();
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void Migration_script_parses(string script)
    {
        var errors = Parse(DatabaseMigrator.ReadScript(script), out _);

        Assert.Empty(errors);
    }

    [Theory]
    [MemberData(nameof(Statements))]
    public void Dialect_statement_parses(string name)
    {
        var errors = Parse(AllSqlServerStatements()[name], out _);

        Assert.Empty(errors);
    }

    [Fact]
    public void Every_provider_has_the_same_scripts()
    {
        static IEnumerable<string> Versions(DatabaseProvider provider) =>
            DatabaseMigrator.ScriptNames(provider).Select(n => n[(n.LastIndexOf(".Scripts.", StringComparison.Ordinal) + 9)..].Split('.', 2)[1]);

        Assert.NotEmpty(Versions(DatabaseProvider.SqlServer));
        Assert.Equal(Versions(DatabaseProvider.Postgres), Versions(DatabaseProvider.SqlServer));
        Assert.Equal(Versions(DatabaseProvider.Sqlite), Versions(DatabaseProvider.SqlServer));
    }

    [Fact]
    public void The_parser_rejects_postgres_syntax()
    {
        Assert.NotEmpty(Parse(new ReplicationStateStatements(new PostgresDialect()).Insert, out _));
    }

    [Fact]
    public void Sql_server_replication_jobs_table_has_a_column_for_every_saga_property()
    {
        var columns = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var script in DatabaseMigrator.ScriptNames(DatabaseProvider.SqlServer))
        {
            Parse(DatabaseMigrator.ReadScript(script), out var fragment);
            fragment.Accept(new ColumnCollector("replication_jobs", columns));
        }

        Assert.All(ReplicationStateColumns.All, c => Assert.Contains(c.Name, columns));
        Assert.All(
            ["status", "current_operation", "progress_percent", "bytes_transferred", "total_bytes", "transfer_speed_bps", "error_message", "updated_at"],
            seedColumn => Assert.Contains(seedColumn, columns));
    }

    private static IList<ParseError> Parse(string sql, out TSqlFragment fragment)
    {
        var parser = new TSql160Parser(initialQuotedIdentifiers: true);
        using var reader = new StringReader(sql);
        fragment = parser.Parse(reader, out var errors);
        return errors;
    }

    private sealed class ColumnCollector(string table, HashSet<string> columns) : TSqlFragmentVisitor
    {
        public override void Visit(CreateTableStatement node)
        {
            if (node.SchemaObjectName.BaseIdentifier.Value.Equals(table, StringComparison.OrdinalIgnoreCase))
            {
                foreach (var column in node.Definition.ColumnDefinitions)
                {
                    columns.Add(column.ColumnIdentifier.Value);
                }
            }
        }

        public override void Visit(AlterTableAddTableElementStatement node)
        {
            if (node.SchemaObjectName.BaseIdentifier.Value.Equals(table, StringComparison.OrdinalIgnoreCase))
            {
                foreach (var column in node.Definition.ColumnDefinitions)
                {
                    columns.Add(column.ColumnIdentifier.Value);
                }
            }
        }
    }
}
