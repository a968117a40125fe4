using System.Text.Json;
using MassTransit.Serialization;
using Migration.Contracts;
using Migration.Contracts.Status;
using Migration.Contracts.Vma;
using Migration.OmaWorkers.Saga;

namespace Migration.Tests.OmaWorkers;

/// <summary>StartReplication commands with absurd fields never start anything: they fail to read or fail validation (so they end in _error).</summary>
public sealed class BusCommandStrictnessTests
{
    private static readonly JsonSerializerOptions Bus = SystemTextJsonMessageSerializer.Options;

    [Fact]
    public void A_command_with_an_unknown_top_level_field_does_not_read()
    {
        const string json = """{"jobId":"strict-1","vmaUrl":"https://vma:443","vm":{"name":"web01"},"sync_type":"incremental"}""";

        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<StartReplication>(json, Bus));
    }

    [Fact]
    public void A_command_published_from_dotnet_still_round_trips()
    {
        var command = new StartReplication { JobId = "strict-2", VmaUrl = "https://vma:443", Vm = new VmReference { Name = "web01" }, SyncType = SyncType.Full };

        var back = JsonSerializer.Deserialize<StartReplication>(JsonSerializer.Serialize(command, Bus), Bus);

        Assert.Equal(command.JobId, back?.JobId);
        Assert.Equal(SyncType.Full, back?.SyncType);
        Assert.Null(StartReplicationValidation.Problem(back!));
    }

    [Theory]
    [InlineData("""{"jobId":"strict-3","vmaUrl":"https://vma:443","vm":{"name":"web01"},"syncType":7}""", "syncType")]
    [InlineData("""{"jobId":"strict-4","vmaUrl":"ftp://vma/","vm":{"name":"web01"}}""", "vmaUrl")]
    [InlineData("""{"jobId":"..","vmaUrl":"https://vma:443","vm":{"name":"web01"}}""", "jobId")]
    public void Absurd_values_fail_validation_naming_the_field(string json, string field)
    {
        var command = JsonSerializer.Deserialize<StartReplication>(json, Bus)!;

        Assert.StartsWith(field, StartReplicationValidation.Problem(command), StringComparison.Ordinal);
    }

    [Fact]
    public void A_10_KB_VM_name_fails_validation()
    {
        var command = new StartReplication { JobId = "strict-5", VmaUrl = "https://vma:443", Vm = new VmReference { Name = new string('n', 10_000) } };

        Assert.StartsWith("vm:", StartReplicationValidation.Problem(command), StringComparison.Ordinal);
    }
}
