using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Migration.Contracts.Progress;
using Migration.Contracts.Status;
using Migration.OmaWorkers.Vma;

namespace Migration.Tests.Trust;

/// <summary>
/// Random VMA progress answers — a sensible document with fields changed, removed or added, or anything at all — read
/// and checked the way a poll does: each is either believed, and then holds only sane values and round-trips, or is a
/// failed contact with a one-line reason (the JSON path for an unreadable one) that names no .NET type. Nothing throws.
/// </summary>
public sealed class VmaAnswerPropertyTests
{
    private const string JobId = "prop-answer-1";
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private static readonly string[] Paths =
    [
        "job_id", "stage", "status", "started_at", "updated_at", "completed_at", "vm_name", "error",
        "aggregate.total_bytes", "aggregate.bytes_transferred", "aggregate.throughput_bps", "aggregate.percent",
        "cbt.type", "cbt.change_id", "disks.0.id", "disks.0.label", "disks.0.planned_bytes", "disks.0.bytes_transferred",
        "disks.0.percent", "disks.0.status", "disks.0.sync_type", "notes", "nbd", "unknown_field",
    ];

    private static readonly Gen<JsonNode?> Value = Gen.OneOf(
        Gen.OneOf("Transfer", "Streaming", "streaming", "Teleport", "full", "incremental", "sideways", JobId, "other-job", "",
            "a\nb", "\u001b[2J", "\u202Eevil", "😀", "9999-12-31T23:59:59Z", "2000-01-01T00:00:00Z", "not a date", new string('x', 5000))
            .Select(s => (JsonNode?)JsonValue.Create(s)),
        Gen.String[0, 12].Select(s => (JsonNode?)JsonValue.Create(s)),
        Gen.Long.Select(l => (JsonNode?)JsonValue.Create(l)),
        Gen.OneOf(Gen.Const(-1L), Gen.Const(0L), Gen.Const(999L), Gen.Const(1000L), Gen.Const(1001L)).Select(l => (JsonNode?)JsonValue.Create(l)),
        Gen.Double[-50, 150].Select(d => (JsonNode?)JsonValue.Create(d)),
        Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b)),
        Gen.Const((JsonNode?)null),
        Gen.Const((JsonNode?)new JsonObject()),
        Gen.Const((JsonNode?)new JsonArray()));

    private static readonly Gen<(string Path, JsonNode? Value, bool Remove)> Change =
        Gen.Select(Gen.OneOf(Paths), Value, Gen.Int[0, 9], (path, value, die) => (path, value, die == 0));

    private static readonly Gen<string> Answer = Gen.Frequency(
        (9, Change.List[0, 4].Select(Changed)),
        (1, Gen.OneOf(Gen.String[0, 40], Gen.OneOf("", "null", "[]", "{}", "<html>proxy</html>", "{\"job_id\":"))));

    private static string Changed(List<(string Path, JsonNode? Value, bool Remove)> changes)
    {
        var document = JsonNode.Parse(JsonSerializer.Serialize(Good(), ProgressJsonContext.Default.ReplicationProgress))!.AsObject();
        foreach (var (path, value, remove) in changes)
        {
            var parts = path.Split('.');
            JsonNode? parent = document;
            foreach (var part in parts[..^1])
            {
                parent = int.TryParse(part, out var index) ? (parent is JsonArray a && a.Count > index ? a[index] : null) : (parent as JsonObject)?[part];
            }

            if (parent is JsonObject target)
            {
                if (remove)
                {
                    target.Remove(parts[^1]);
                }
                else
                {
                    target[parts[^1]] = value?.DeepClone();
                }
            }
        }

        return document.ToJsonString();
    }

    private static ReplicationProgress Good() => new()
    {
        JobId = JobId,
        Stage = ReplicationStage.Transfer,
        Status = VmaJobStatus.Streaming,
        StartedAt = Now.AddMinutes(-1),
        UpdatedAt = Now,
        Aggregate = new AggregateProgress { TotalBytes = 1000, BytesTransferred = 500, ThroughputBps = 100, Percent = 50 },
        Disks = [new DiskProgress { Id = "disk-0", Label = "Hard disk 1", PlannedBytes = 1000, BytesTransferred = 500, ThroughputBps = 100, Percent = 50, Status = VmaDiskStatus.Streaming }],
    };

    private static bool Sane(ReplicationProgress p) =>
        p.JobId == JobId
        && p.Aggregate.BytesTransferred >= 0 && p.Aggregate.TotalBytes >= 0 && p.Aggregate.Percent is >= 0 and <= 100
        && p.Disks.All(d => d.BytesTransferred >= 0 && d.PlannedBytes >= 0 && d.Percent is >= 0 and <= 100)
        && p.UpdatedAt <= Now + TimeSpan.FromMinutes(5);

    private static bool GoodReason(string? reason) =>
        !string.IsNullOrWhiteSpace(reason) && !reason.Any(char.IsControl)
        && !reason.Contains("Migration.", StringComparison.Ordinal) && !reason.Contains("System.", StringComparison.Ordinal);

    [Fact]
    public async Task Every_answer_is_believed_and_sane_and_round_trips_or_is_a_failed_contact_with_a_reason()
    {
        await Answer.SampleAsync(async body =>
        {
            using var content = new StringContent(body);
            var read = await ProgressAnswerReader.ReadAsync(content, 1024 * 1024, CancellationToken.None);
            if (read.Progress is null)
            {
                return GoodReason(read.Error) && (read.Error!.Contains("(at $", StringComparison.Ordinal) || read.Error.Contains("empty", StringComparison.Ordinal));
            }

            var reason = ProgressAnswerValidator.Check(read.Progress, JobId, Now, TimeSpan.FromMinutes(5));
            if (reason is not null)
            {
                return GoodReason(reason);
            }

            var json = JsonSerializer.Serialize(read.Progress, ProgressJsonContext.Default.ReplicationProgress);
            using var again = new StringContent(json);
            var reread = await ProgressAnswerReader.ReadAsync(again, 1024 * 1024, CancellationToken.None);
            return Sane(read.Progress)
                && reread.Progress is not null
                && JsonSerializer.Serialize(reread.Progress, ProgressJsonContext.Default.ReplicationProgress) == json;
        }, iter: 2_000);
    }
}
