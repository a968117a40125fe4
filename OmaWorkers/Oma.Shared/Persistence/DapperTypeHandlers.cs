using System.Data;
using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Migration.Oma.Persistence;

/// <summary>
/// Reads timestamps, uuids and decimals the way each provider hands them back: SQLite as ISO-8601 / uuid text and a
/// DECIMAL as an integer or a real depending on the row, PostgreSQL's timestamptz as a UTC <see cref="DateTime"/>, SQL
/// Server's datetimeoffset as it is.
/// </summary>
/// <remarks>
/// Dapper's type handlers are process-wide, so one handler serves every provider; it tells them apart by the value it
/// reads and by the parameter class it writes to. The stores convert their own parameters through
/// <see cref="Dialects.SqlDialect"/>; the handlers' <c>SetValue</c> covers values handed to Dapper unconverted.
/// </remarks>
public static class DapperTypeHandlers
{
    private static int registered;

    public static void Register()
    {
        if (Interlocked.Exchange(ref registered, 1) == 1)
        {
            return;
        }

        SqlMapper.AddTypeHandler(new DateTimeOffsetHandler());
        SqlMapper.AddTypeHandler(new GuidHandler());
        SqlMapper.AddTypeHandler(new DecimalHandler());
    }

    /// <summary>The one text form of a timestamp in SQLite: UTC, seven fraction digits, so text order is time order.</summary>
    public static string FormatSqliteTime(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    public static DateTimeOffset ParseTime(object value) => value switch
    {
        DateTimeOffset dto => dto,
        DateTime dt => new DateTimeOffset(DateTime.SpecifyKind(dt, dt.Kind == DateTimeKind.Unspecified ? DateTimeKind.Utc : dt.Kind)).ToUniversalTime(),
        string s => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
        _ => throw new DataException($"cannot read a timestamp from a {value.GetType().Name}"),
    };

    private sealed class DateTimeOffsetHandler : SqlMapper.TypeHandler<DateTimeOffset>
    {
        public override DateTimeOffset Parse(object value) => ParseTime(value);

        public override void SetValue(IDbDataParameter parameter, DateTimeOffset value)
        {
            if (parameter is SqliteParameter)
            {
                parameter.DbType = DbType.String;
                parameter.Value = FormatSqliteTime(value);
            }
            else
            {
                parameter.DbType = DbType.DateTimeOffset;
                parameter.Value = value.ToUniversalTime();
            }
        }
    }

    /// <remarks>Dapper compiles a reader for the column types of the first row; SQLite may then hand a later row's
    /// DECIMAL as a real where the first was an integer, so every value converts here.</remarks>
    private sealed class DecimalHandler : SqlMapper.TypeHandler<decimal>
    {
        public override decimal Parse(object value) => Convert.ToDecimal(value, CultureInfo.InvariantCulture);

        public override void SetValue(IDbDataParameter parameter, decimal value)
        {
            parameter.DbType = DbType.Decimal;
            parameter.Value = value;
        }
    }

    private sealed class GuidHandler : SqlMapper.TypeHandler<Guid>
    {
        public override Guid Parse(object value) => value switch
        {
            Guid g => g,
            string s => Guid.Parse(s, CultureInfo.InvariantCulture),
            byte[] b => new Guid(b),
            _ => throw new DataException($"cannot read a uuid from a {value.GetType().Name}"),
        };

        public override void SetValue(IDbDataParameter parameter, Guid value)
        {
            if (parameter is SqliteParameter)
            {
                parameter.DbType = DbType.String;
                parameter.Value = value.ToString("D");
            }
            else
            {
                parameter.DbType = DbType.Guid;
                parameter.Value = value;
            }
        }
    }
}
