using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Migration.Contracts.Progress;
using Migration.VmaAgent.Api;

namespace Migration.Tests.VmaAgent;

/// <summary>
/// Random start-request bodies, hostile ones included: each is either accepted and round-trips (same fingerprint after
/// writing and reading it again) or rejected with errors keyed by API field paths; nothing throws, nothing is a 500.
/// </summary>
public sealed class StartRequestPropertyTests(FastAgentFactory factory) : IClassFixture<FastAgentFactory>
{
    private static readonly Gen<string> Text = Gen.OneOf(
        Gen.OneOf("demo-vm-1", "demo-vm-2", "disk-0", "disk-1", ".", "..", "", " full", "full", "auto", "incremental", "1",
            "file:///etc/passwd", "nbd://10.0.0.5/x", "a\nb", "\u001b[31m", "\u202Eevil", "😀", "52aa0000000000000000000000000000/1",
            "job-" + new string('x', 300)),
        Gen.String[0, 24]);

    private static readonly Gen<JsonNode?> Scalar = Gen.OneOf(
        Text.Select(s => (JsonNode?)JsonValue.Create(s)),
        Gen.Int.Select(i => (JsonNode?)JsonValue.Create(i)),
        Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b)),
        Gen.Const((JsonNode?)null));

    private static readonly Gen<JsonNode?> Vm = Gen.OneOf(
        Scalar,
        Gen.Select(Gen.OneOf("name", "moref", "uuid", "nme"), Text, (key, value) => (JsonNode?)new JsonObject { [key] = value }));

    private static readonly Gen<JsonNode?> Map = Gen.OneOf(
        Scalar,
        Gen.Select(Text, Scalar, (key, value) => (key, value)).List[0, 3].Select(entries => Object(entries)));

    private static readonly Gen<JsonNode?> Target = Gen.OneOf(
        Scalar,
        Gen.Select(Text, Text, (disk, uri) => (JsonNode?)new JsonObject { ["disks"] = new JsonObject { [disk] = new JsonObject { ["uri"] = uri } } }),
        Map.Select(disks => (JsonNode?)new JsonObject { ["disks"] = disks }));

    private static readonly Gen<(string, JsonNode?)> Field = Gen.OneOf(
        Text.Select(v => ("job_id", (JsonNode?)JsonValue.Create(v))),
        Vm.Select(v => ("vm", v)),
        Gen.OneOf(Scalar, Gen.OneOf("auto", "full", "incremental").Select(s => (JsonNode?)JsonValue.Create(s))).Select(v => ("sync_type", v)),
        Map.Select(v => ("previous_change_ids", v)),
        Target.Select(v => ("target", v)),
        Gen.Select(Text, Scalar, (key, value) => (key, value)));

    private static readonly Gen<string> Body = Field.List[0, 8].Select(fields => Object(fields)!.ToJsonString());

    private static JsonNode? Object(IEnumerable<(string Key, JsonNode? Value)> entries)
    {
        var json = new JsonObject();
        foreach (var (key, value) in entries)
        {
            json[key] = value?.DeepClone();
        }

        return json;
    }

    private static bool NamesApiFieldsOnly(Dictionary<string, string[]> errors) =>
        errors.Count > 0
        && errors.All(e => e.Key.Length > 0 && !e.Key.Any(char.IsControl)
                           && e.Value.All(m => !m.Contains("Migration.", StringComparison.Ordinal) && !m.Contains("System.", StringComparison.Ordinal)));

    [Fact]
    public void Every_body_is_accepted_and_round_trips_or_is_rejected_naming_fields()
    {
        Body.Sample(body =>
        {
            var parsed = StartRequestParser.Parse(Encoding.UTF8.GetBytes(body));
            if (!parsed.IsValid)
            {
                return NamesApiFieldsOnly(parsed.Errors);
            }

            var again = StartRequestParser.Parse(JsonSerializer.SerializeToUtf8Bytes(parsed.Request!, ProgressJsonContext.Default.StartReplicationRequest));
            return again.IsValid && StartRequestParser.Fingerprint(again.Request!) == StartRequestParser.Fingerprint(parsed.Request!);
        }, iter: 3000);
    }

    [Fact]
    public async Task Over_HTTP_every_body_is_202_400_or_409_never_a_server_error()
    {
        var client = factory.CreateClient();
        await Body.SampleAsync(async body =>
        {
            using var response = await client.StartAsync(body);
            if (response.StatusCode == HttpStatusCode.BadRequest)
            {
                using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                return problem.RootElement.TryGetProperty("errors", out var errors) && errors.EnumerateObject().Any();
            }

            return response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.Conflict;
        }, iter: 150);
    }
}
