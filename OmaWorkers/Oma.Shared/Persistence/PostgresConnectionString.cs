using Npgsql;

namespace Migration.Oma.Persistence;

/// <summary>How every pool of ours (the persistence layer's, the Quartz store's) connects to PostgreSQL.</summary>
public static class PostgresConnectionString
{
    /// <summary>How many statements a connection keeps prepared when the connection string does not say.</summary>
    public const int DefaultMaxAutoPrepare = 32;

    /// <summary>
    /// <paramref name="connectionString"/> with two defaults for the keywords it does not give:
    /// <list type="bullet">
    /// <item><c>No Reset On Close</c> on: nothing of ours sets session state (no SET or temporary tables), and each
    /// <c>DISCARD ALL</c> a pooled connection sends when it is returned is a statement and a commit of its own (a third
    /// of PostgreSQL's statements under load).</item>
    /// <item><c>Max Auto Prepare</c> <see cref="DefaultMaxAutoPrepare"/>: every statement of ours is one of a few fixed
    /// texts run thousands of times a minute (the saga's load and update, the disk upsert, the sweep), and a prepared
    /// one skips PostgreSQL's parse and plan. Every statement names its columns, so a migration that adds one does not
    /// invalidate a prepared plan's result. Behind a pooler that cannot carry prepared statements (PgBouncer before
    /// 1.21 in transaction mode) the operator writes <c>Max Auto Prepare=0</c>.</item>
    /// </list>
    /// </summary>
    public static string ForOurPools(string connectionString)
    {
        // NpgsqlConnectionStringBuilder.ContainsKey answers whether a keyword is known, not whether it was given: the
        // plain builder says what the string holds.
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!given.ContainsKey("No Reset On Close") && !given.ContainsKey("NoResetOnClose"))
        {
            builder.NoResetOnClose = true;
        }

        if (!given.ContainsKey("Max Auto Prepare") && !given.ContainsKey("MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = DefaultMaxAutoPrepare;
        }

        return builder.ConnectionString;
    }
}
