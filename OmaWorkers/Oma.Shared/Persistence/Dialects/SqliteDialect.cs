using System.Data;

namespace Migration.Oma.Persistence.Dialects;

/// <summary>SQLite shares PostgreSQL's upsert syntax; it stores timestamps and uuids as text.</summary>
public sealed class SqliteDialect : SqlDialect
{
    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;

    public override string ScriptFolder => "Sqlite";

    public override bool ReadsInWriteTransaction => false;

    public override object? ToParameter(object? value) => value switch
    {
        DateTimeOffset time => DapperTypeHandlers.FormatSqliteTime(time),
        Guid uuid => uuid.ToString("D"),
        _ => value,
    };

    public override DbType? NullParameterType(Type clrType)
    {
        var type = Nullable.GetUnderlyingType(clrType) ?? clrType;
        return type == typeof(DateTimeOffset) || type == typeof(Guid) || type == typeof(string) ? DbType.String : null;
    }
}
