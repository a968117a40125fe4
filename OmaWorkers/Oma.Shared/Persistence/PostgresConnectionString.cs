using Npgsql;

namespace Migration.Oma.Persistence;

/// <summary>How every pool of ours (the persistence layer's, the Quartz store's) connects to PostgreSQL.</summary>
public static class PostgresConnectionString
{
    /// <summary>
    /// <paramref name="connectionString"/> with <c>No Reset On Close</c> on unless it says otherwise: nothing of ours
    /// keeps session state (no SET, temporary tables or prepared statements), and each <c>DISCARD ALL</c> a pooled
    /// connection sends when it is returned is a statement and a commit of its own (a third of PostgreSQL's
    /// statements under load).
    /// </summary>
    public static string WithoutResetOnClose(string connectionString)
    {
        // NpgsqlConnectionStringBuilder.ContainsKey answers whether a keyword is known, not whether it was given: the
        // plain builder says what the string holds.
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        if (given.ContainsKey("No Reset On Close") || given.ContainsKey("NoResetOnClose"))
        {
            return connectionString;
        }

        return new NpgsqlConnectionStringBuilder(connectionString) { NoResetOnClose = true }.ConnectionString;
    }
}
