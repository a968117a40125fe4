using System.Globalization;
using System.Text;
using Migration.Oma.Persistence;

namespace Migration.OmaWorkers.Saga;

/// <summary>
/// What a job's <c>vm_disks</c> rows say, as one stable hash per disk (<c>replication_jobs.disk_digest</c>), so an
/// observation writes only the disk rows whose figures changed: a streaming job moves one disk at a time, and every
/// unchanged row rewritten is a row update for nothing.
/// </summary>
public static class DiskDigest
{
    private const ulong FnvOffset = 14695981039346656037;
    private const ulong FnvPrime = 1099511628211;

    /// <summary>The rows of <paramref name="rows"/> whose figures are not among <paramref name="digest"/>'s.</summary>
    public static List<DiskRow> Changed(IReadOnlyList<DiskRow> rows, string? digest)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (string.IsNullOrEmpty(digest))
        {
            return [.. rows];
        }

        var written = digest.Split(',').ToHashSet(StringComparer.Ordinal);
        return rows.Where(row => !written.Contains(Hash(row))).ToList();
    }

    /// <summary>The digest of <paramref name="rows"/> (every disk of one observation).</summary>
    public static string Of(IReadOnlyList<DiskRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return string.Join(',', rows.Select(Hash).Order(StringComparer.Ordinal));
    }

    /// <summary>FNV-1a over every figure the disk row stores except its time (stable across processes, unlike string hashes).</summary>
    private static string Hash(DiskRow row)
    {
        var text = string.Join(
            '\u001f',
            row.DiskId,
            row.Label ?? "",
            row.SyncStatus,
            row.SyncProgressPercent.ToString(CultureInfo.InvariantCulture),
            row.BytesSynced.ToString(CultureInfo.InvariantCulture),
            row.PlannedBytes.ToString(CultureInfo.InvariantCulture),
            row.DiskChangeId ?? "");
        var hash = FnvOffset;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash = (hash ^ b) * FnvPrime;
        }

        return hash.ToString("x16", CultureInfo.InvariantCulture);
    }
}
