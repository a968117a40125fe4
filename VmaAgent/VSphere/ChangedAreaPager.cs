using Migration.VmaAgent.Sources;

namespace Migration.VmaAgent.VSphere;

/// <summary>
/// Pages <c>QueryChangedDiskAreas</c> over a whole disk: vCenter answers a bounded number of areas per call, and the
/// next call starts where the answer's span (<c>startOffset + length</c>) ends, until that reaches the capacity. An
/// answer that does not move forward is an error, not an endless loop; areas past the capacity are cut off.
/// </summary>
public static class ChangedAreaPager
{
    public static async Task<IReadOnlyList<DiskArea>> ReadAllAsync(long capacity, Func<long, CancellationToken, Task<DiskChangeInfo>> query, CancellationToken ct)
    {
        var areas = new List<DiskArea>();
        long offset = 0;
        while (offset < capacity)
        {
            var answer = await query(offset, ct);
            var next = answer.StartOffset + answer.Length;
            foreach (var (start, length) in answer.ChangedAreas)
            {
                var from = Math.Max(start, offset);
                var to = Math.Min(start + length, capacity);
                if (to > from)
                {
                    areas.Add(new DiskArea(from, to - from));
                }

                next = Math.Max(next, Math.Min(start + length, capacity));
            }

            if (next <= offset)
            {
                throw new InvalidOperationException(
                    $"QueryChangedDiskAreas answered at offset {offset} of {capacity} without moving forward (startOffset {answer.StartOffset}, length {answer.Length})");
            }

            offset = next;
        }

        return Coalesce(areas);
    }

    private static List<DiskArea> Coalesce(List<DiskArea> areas)
    {
        areas.Sort((a, b) => a.Offset.CompareTo(b.Offset));
        var merged = new List<DiskArea>();
        foreach (var area in areas)
        {
            if (merged.Count > 0 && area.Offset <= merged[^1].End)
            {
                var last = merged[^1];
                merged[^1] = new DiskArea(last.Offset, Math.Max(last.End, area.End) - last.Offset);
            }
            else
            {
                merged.Add(area);
            }
        }

        return merged;
    }
}
