using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using MassTransit.Serialization;
using Migration.Contracts;
using Migration.OmaWorkers.Saga;

namespace Migration.Tests.OmaWorkers;

/// <summary>
/// Random <c>StartReplication</c> bodies as an integrator might publish them, hostile ones included: each either reads
/// and passes validation and then round-trips unchanged, or is rejected naming the field (the JSON path of a read
/// error, or the validation's field name) — the two ways to <c>_error</c>. Nothing else may throw.
/// </summary>
public sealed class BusCommandPropertyTests
{
    private static readonly JsonSerializerOptions Bus = SystemTextJsonMessageSerializer.Options;

    private static readonly string[] Fields = ["jobId", "vmaUrl", "vm", "syncType", "target"];

    private static readonly Gen<string> Text = Gen.OneOf(
        Gen.OneOf("site-a-web01-1", "job.1:a_b", ".", "..", "", " full", "full", "auto", "incremental", "Full", "1", "web01",
            "https://vma-site-a:443", "http://127.0.0.1:5080/", "ftp://vma/", "vma:443", "file:///etc/passwd", "nbd://10.0.0.5/x",
            "nbd+unix:///x?socket=/run/x.sock", "a\nb", "\u001b[31m", "\u202Eevil", "😀", "' OR 1=1 --", "%00", new string('n', 300)),
        Gen.String[0, 16]);

    private static readonly Gen<JsonNode?> Scalar = Gen.OneOf(
        Text.Select(s => (JsonNode?)JsonValue.Create(s)),
        Gen.Int.Select(i => (JsonNode?)JsonValue.Create(i)),
        Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b)),
        Gen.Const((JsonNode?)null));

    private static readonly Gen<JsonNode?> Vm = Gen.OneOf(
        Scalar,
        Gen.Select(Gen.OneOf("name", "moref", "uuid", "nmae", "Name"), Text, (key, value) => (JsonNode?)new JsonObject { [key] = value }));

    private static readonly Gen<JsonNode?> Target = Gen.OneOf(
        Scalar,
        Gen.Select(Text, Text, (disk, uri) => (JsonNode?)new JsonObject { ["disks"] = new JsonObject { [disk] = new JsonObject { ["uri"] = uri } } }),
        Gen.Select(Text, Scalar, (key, value) => (JsonNode?)new JsonObject { ["disks"] = new JsonObject { [key] = value?.DeepClone() } }));

    private static readonly Gen<(string, JsonNode?)> Field = Gen.OneOf(
        Text.Select(v => ("jobId", (JsonNode?)JsonValue.Create(v))),
        Text.Select(v => ("vmaUrl", (JsonNode?)JsonValue.Create(v))),
        Vm.Select(v => ("vm", v)),
        Gen.OneOf(Scalar, Gen.OneOf("auto", "full", "incremental", "Auto").Select(s => (JsonNode?)JsonValue.Create(s))).Select(v => ("syncType", v)),
        Target.Select(v => ("target", v)),
        Gen.Select(Gen.OneOf("sync_type", "job_id", "extra", "messageType"), Scalar, (key, value) => (key, value)));

    // Mostly a valid command with a few fields changed, sometimes anything at all.
    private static readonly Gen<string> Body = Gen.OneOf(
        Field.List[0, 4].Select(changes => Command(changes)),
        Field.List[0, 6].Select(fields => Object(fields).ToJsonString()),
        Gen.OneOf("", "null", "[]", "{", "{\"jobId\":\"a\",\"jobId\":\"b\",\"vmaUrl\":\"https://v:443\",\"vm\":{\"name\":\"w\"}}"));

    private static string Command(IEnumerable<(string Key, JsonNode? Value)> changes)
    {
        var json = new JsonObject { ["jobId"] = "prop-1", ["vmaUrl"] = "https://vma:443", ["vm"] = new JsonObject { ["name"] = "web01" }, ["syncType"] = "full" };
        foreach (var (key, value) in changes)
        {
            json[key] = value?.DeepClone();
        }

        return json.ToJsonString();
    }

    private static JsonObject Object(IEnumerable<(string Key, JsonNode? Value)> entries)
    {
        var json = new JsonObject();
        foreach (var (key, value) in entries)
        {
            json[key] = value?.DeepClone();
        }

        return json;
    }

    [Fact]
    public void Every_command_reads_validates_and_round_trips_or_is_rejected_naming_its_field()
    {
        Body.Sample(body =>
        {
            StartReplication? command;
            try
            {
                command = JsonSerializer.Deserialize<StartReplication>(body, Bus);
            }
            catch (JsonException ex)
            {
                // A read error names the field by its JSON path (the saga's endpoint moves the message to _error).
                return ex.Path is not null || body.Length == 0 || !body.TrimStart().StartsWith('{');
            }

            if (command is null)
            {
                return body.Trim() == "null";
            }

            var problem = StartReplicationValidation.Problem(command);
            if (problem is not null)
            {
                return Fields.Any(f => problem.StartsWith(f, StringComparison.Ordinal)) && !problem.Contains("Migration.", StringComparison.Ordinal);
            }

            var again = JsonSerializer.Deserialize<StartReplication>(JsonSerializer.Serialize(command, Bus), Bus)!;
            return StartReplicationValidation.Problem(again) is null
                && again.JobId == command.JobId && again.VmaUrl == command.VmaUrl && again.Vm == command.Vm
                && again.SyncType == command.SyncType
                && (again.Target?.Disks.Count ?? 0) == (command.Target?.Disks.Count ?? 0)
                && (command.Target?.Disks.All(d => again.Target!.Disks.TryGetValue(d.Key, out var disk) && disk == d.Value) ?? true);
        }, iter: 2_000);
    }
}
