using System.Text.Json;
using Migration.Contracts.Progress;
using Migration.Contracts.Status;

namespace Migration.Tests.Contracts;

/// <summary>
/// The progress document must keep every field of the seed's schema (seed/replication-progress-tracking.md,
/// "VMA Progress Endpoint"): same names, same nesting, same JSON types. Additions are allowed; nothing else is.
/// </summary>
public sealed class ProgressDocumentGoldenTests
{
    /// <summary>The seed's example response, verbatim.</summary>
    private const string SeedExample = """
        {
          "job_id": "<string>",
          "stage": "Transfer",
          "status": "Streaming",
          "started_at": "2025-09-04T12:00:00Z",
          "updated_at": "2025-09-04T12:00:10Z",
          "aggregate": {
            "total_bytes": 1234567890,
            "bytes_transferred": 456789012,
            "throughput_bps": 98765432,
            "percent": 37.0
          },
          "cbt": {
            "type": "incremental",
            "previous_change_id": "123-abc",
            "change_id": "456-def"
          },
          "nbd": {
            "exports": [
              {
                "name": "job-123-disk-0",
                "device": "/dev/nbdX",
                "connected": true,
                "started_at": "2025-09-04T12:00:02Z"
              }
            ]
          },
          "disks": [
            {
              "id": "disk-0",
              "label": "Hard disk 1",
              "planned_bytes": 987654321,
              "bytes_transferred": 345678901,
              "throughput_bps": 54321098,
              "percent": 35.0,
              "status": "Streaming"
            }
          ]
        }
        """;

    public static TheoryData<string, JsonValueKind, bool> SeedFields => new()
    {
        // path, JSON kind, must be an integer
        { "job_id", JsonValueKind.String, false },
        { "stage", JsonValueKind.String, false },
        { "status", JsonValueKind.String, false },
        { "started_at", JsonValueKind.String, false },
        { "updated_at", JsonValueKind.String, false },
        { "aggregate", JsonValueKind.Object, false },
        { "aggregate.total_bytes", JsonValueKind.Number, true },
        { "aggregate.bytes_transferred", JsonValueKind.Number, true },
        { "aggregate.throughput_bps", JsonValueKind.Number, true },
        { "aggregate.percent", JsonValueKind.Number, false },
        { "cbt", JsonValueKind.Object, false },
        { "cbt.type", JsonValueKind.String, false },
        { "cbt.previous_change_id", JsonValueKind.String, false },
        { "cbt.change_id", JsonValueKind.String, false },
        { "nbd", JsonValueKind.Object, false },
        { "nbd.exports", JsonValueKind.Array, false },
        { "nbd.exports[].name", JsonValueKind.String, false },
        { "nbd.exports[].device", JsonValueKind.String, false },
        { "nbd.exports[].connected", JsonValueKind.True, false },
        { "nbd.exports[].started_at", JsonValueKind.String, false },
        { "disks", JsonValueKind.Array, false },
        { "disks[].id", JsonValueKind.String, false },
        { "disks[].label", JsonValueKind.String, false },
        { "disks[].planned_bytes", JsonValueKind.Number, true },
        { "disks[].bytes_transferred", JsonValueKind.Number, true },
        { "disks[].throughput_bps", JsonValueKind.Number, true },
        { "disks[].percent", JsonValueKind.Number, false },
        { "disks[].status", JsonValueKind.String, false },
    };

    [Theory]
    [MemberData(nameof(SeedFields))]
    public void Every_seed_field_is_serialized_with_the_seeds_name_nesting_and_type(string path, JsonValueKind kind, bool integer)
    {
        using var document = JsonDocument.Parse(JsonSerializer.Serialize(SampleProgress(), ProgressJsonContext.Default.ReplicationProgress));

        var value = Resolve(document.RootElement, path);

        Assert.Equal(kind, value.ValueKind);
        if (integer)
        {
            Assert.True(value.TryGetInt64(out _), $"{path} must be a JSON integer, was {value.GetRawText()}");
            Assert.DoesNotContain('.', value.GetRawText());
        }
    }

    [Fact]
    public void The_seeds_example_reads_into_the_record_and_writes_back_with_the_same_values()
    {
        var progress = JsonSerializer.Deserialize(SeedExample, ProgressJsonContext.Default.ReplicationProgress)!;
        using var seed = JsonDocument.Parse(SeedExample);
        using var written = JsonDocument.Parse(JsonSerializer.Serialize(progress, ProgressJsonContext.Default.ReplicationProgress));

        Assert.Equal(ReplicationStage.Transfer, progress.Stage);
        Assert.Equal(VmaJobStatus.Streaming, progress.Status);
        Assert.Equal(VmaDiskStatus.Streaming, progress.Disks[0].Status);
        Assert.Equal(new DateTimeOffset(2025, 9, 4, 12, 0, 2, TimeSpan.Zero), progress.Nbd.Exports[0].StartedAt);
        foreach (var path in SeedFields.Select(row => (string)row[0]))
        {
            var expected = Resolve(seed.RootElement, path);
            var actual = Resolve(written.RootElement, path);
            if (expected.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
            {
                Assert.Equal(expected.ValueKind, actual.ValueKind);
            }
            else if (path.EndsWith("_at", StringComparison.Ordinal))
            {
                Assert.Equal(expected.GetDateTimeOffset(), actual.GetDateTimeOffset());
            }
            else if (expected.ValueKind == JsonValueKind.Number)
            {
                Assert.Equal(expected.GetDouble(), actual.GetDouble());
            }
            else if (expected.ValueKind == JsonValueKind.String)
            {
                Assert.Equal(expected.GetString(), actual.GetString());
            }
            else
            {
                Assert.Equal(expected.ValueKind, actual.ValueKind);
            }
        }
    }

    [Fact]
    public void Timestamps_are_iso_8601_utc_and_enums_are_their_names()
    {
        using var document = JsonDocument.Parse(JsonSerializer.Serialize(SampleProgress(), ProgressJsonContext.Default.ReplicationProgress));
        var root = document.RootElement;

        foreach (var path in new[] { "started_at", "updated_at", "nbd.exports[].started_at" })
        {
            var text = Resolve(root, path).GetString()!;
            Assert.True(DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var parsed), text);
            Assert.Equal(TimeSpan.Zero, parsed.Offset);
            Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$", text);
        }

        Assert.Equal("PersistChangeIDs", root.GetProperty("stage").GetString());
        Assert.Equal("Finalizing", root.GetProperty("status").GetString());
        Assert.Equal("Completed", root.GetProperty("disks")[0].GetProperty("status").GetString());
    }

    private static JsonElement Resolve(JsonElement root, string path)
    {
        var current = root;
        foreach (var segment in path.Split('.'))
        {
            var isArray = segment.EndsWith("[]", StringComparison.Ordinal);
            var name = isArray ? segment[..^2] : segment;
            Assert.True(current.TryGetProperty(name, out current), $"missing field '{name}' of '{path}'");
            if (isArray)
            {
                Assert.Equal(JsonValueKind.Array, current.ValueKind);
                Assert.True(current.GetArrayLength() > 0, $"'{name}' is empty");
                current = current[0];
            }
        }

        return current;
    }

    private static ReplicationProgress SampleProgress()
    {
        var at = new DateTimeOffset(2025, 9, 4, 12, 0, 0, TimeSpan.Zero);
        return new ReplicationProgress
        {
            JobId = "job-123",
            Stage = ReplicationStage.PersistChangeIDs,
            Status = VmaJobStatus.Finalizing,
            StartedAt = at,
            UpdatedAt = at.AddSeconds(10),
            Aggregate = new AggregateProgress { TotalBytes = 10, BytesTransferred = 10, ThroughputBps = 0, Percent = 100 },
            Cbt = new CbtInfo { Type = "incremental", PreviousChangeId = "52 1f/3", ChangeId = "52 1f/4" },
            Nbd = new NbdInfo { Exports = [new NbdExport { Name = "job-123-disk-0", Device = "/dev/nbd0", Connected = true, StartedAt = at.AddSeconds(2) }] },
            Disks =
            [
                new DiskProgress
                {
                    Id = "disk-0", Label = "Hard disk 1", PlannedBytes = 10, BytesTransferred = 10, ThroughputBps = 0, Percent = 100,
                    Status = VmaDiskStatus.Completed,
                },
            ],
        };
    }
}
