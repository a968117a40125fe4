using Migration.Tests.Support;

namespace Migration.Tests.Web;

[CollectionDefinition(Name)]
public sealed class WebDatabaseCollection : ICollectionFixture<TestDatabases>
{
    public const string Name = "web-databases";
}
