using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Migration.VmaAgent.Sources;

namespace Migration.VmaAgent.Jobs;

/// <summary>
/// What a VMA keeps on disk of one running job so that it can take the job up again after it died: the start request
/// (re-checked like a new one when read back), and per disk its plan and how far the target is flushed.
/// </summary>
public sealed record JobJournalRecord
{
    public const int CurrentVersion = 1;

    [JsonPropertyName("version")]
    public int Version { get; init; } = CurrentVersion;

    [JsonPropertyName("job_id")]
    public required string JobId { get; init; }

    /// <summary>The request's SHA-256 fingerprint, compared again with the request's when read back.</summary>
    [JsonPropertyName("fingerprint")]
    public required string Fingerprint { get; init; }

    /// <summary>The start request as the VMA accepted it (it holds no secret: VM reference, sync type, change ids, target URIs, limit).</summary>
    [JsonPropertyName("request")]
    public required JsonElement Request { get; init; }

    [JsonPropertyName("disks")]
    public required IReadOnlyList<JobJournalDisk> Disks { get; init; }
}

public sealed record JobJournalDisk
{
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    [JsonPropertyName("full_sync")]
    public bool FullSync { get; init; }

    /// <summary>The snapshot's change id the plan was made at: a resume needs the same one, else the disk starts again.</summary>
    [JsonPropertyName("change_id")]
    public required string ChangeId { get; init; }

    [JsonPropertyName("planned_bytes")]
    public long PlannedBytes { get; init; }

    /// <summary>SHA-256 of the planned areas (offset and length of each, in order).</summary>
    [JsonPropertyName("areas_digest")]
    public required string AreasDigest { get; init; }

    /// <summary>Every planned byte below this offset was written and flushed.</summary>
    [JsonPropertyName("flushed_offset")]
    public long FlushedOffset { get; init; }

    /// <summary>The planned bytes below <see cref="FlushedOffset"/>.</summary>
    [JsonPropertyName("flushed_bytes")]
    public long FlushedBytes { get; init; }

    /// <summary>The target read as zeros when the job opened it (a full sync then skipped the unplanned gaps and zero blocks).</summary>
    [JsonPropertyName("target_zeroed")]
    public bool TargetZeroed { get; init; }

    /// <summary>The most this disk's progress may have shown: it is written before progress shows more.</summary>
    [JsonPropertyName("promised_bytes")]
    public long PromisedBytes { get; init; }

    public static string Digest(IReadOnlyList<DiskArea> areas)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> pair = stackalloc byte[16];
        foreach (var area in areas)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(pair, area.Offset);
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(pair[8..], area.Length);
            hash.AppendData(pair);
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }

    /// <summary>The planned bytes that lie below <paramref name="offset"/>.</summary>
    public static long PlannedBelow(IReadOnlyList<DiskArea> areas, long offset) =>
        areas.Sum(a => Math.Clamp(offset - a.Offset, 0, a.Length));
}
