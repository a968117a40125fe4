using Migration.Contracts.Logging;

namespace Migration.Tests.Contracts;

public sealed class LogScopeFieldsTests
{
    private sealed class TwoFields(Guid? id, decimal amount) : LogScopeFields
    {
        public override int Count => 2;

        public override KeyValuePair<string, object?> this[int index] => index switch
        {
            0 => new("Id", id),
            1 => new("Amount", amount),
            _ => throw new ArgumentOutOfRangeException(nameof(index)),
        };
    }

    [Fact]
    public void The_plain_text_names_every_field_and_a_missing_value_stays_empty()
    {
        var id = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");
        Assert.Equal("Id:0f8fad5b-d9cb-469f-a165-70867728950e Amount:1.5", new TwoFields(id, 1.5m).ToString());
        Assert.Equal("Id: Amount:2", new TwoFields(null, 2m).ToString());
    }

    [Fact]
    public void Structured_sinks_enumerate_the_same_fields_in_order() =>
        Assert.Equal(["Id", "Amount"], new TwoFields(null, 0m).Select(field => field.Key));
}
