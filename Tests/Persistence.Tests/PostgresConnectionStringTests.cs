using Migration.Oma.Persistence;
using Npgsql;

namespace Migration.Tests.Persistence;

public sealed class PostgresConnectionStringTests
{
    [Fact]
    public void Our_pools_skip_the_reset_and_prepare_their_statements_when_the_string_does_not_say()
    {
        var tuned = new NpgsqlConnectionStringBuilder(PostgresConnectionString.ForOurPools("Host=db;Database=migration;Username=oma"));

        Assert.True(tuned.NoResetOnClose);
        Assert.Equal(PostgresConnectionString.DefaultMaxAutoPrepare, tuned.MaxAutoPrepare);
        Assert.Equal("db", tuned.Host);
        Assert.Equal("migration", tuned.Database);
    }

    [Theory]
    [InlineData("Host=db;Max Auto Prepare=0;No Reset On Close=false")]
    [InlineData("Host=db;MaxAutoPrepare=0;NoResetOnClose=false")]
    public void What_the_operator_wrote_stays(string connectionString)
    {
        var tuned = new NpgsqlConnectionStringBuilder(PostgresConnectionString.ForOurPools(connectionString));

        Assert.False(tuned.NoResetOnClose);
        Assert.Equal(0, tuned.MaxAutoPrepare);
    }
}
