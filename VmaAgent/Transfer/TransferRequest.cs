using Migration.VmaAgent.Sources;

namespace Migration.VmaAgent.Transfer;

/// <summary>
/// One read-then-write step: an aligned byte range and how many of its bytes were planned (alignment may widen a
/// request past a planned area; only planned bytes count as progress).
/// </summary>
public readonly record struct TransferRequest(long Offset, int Length, long PlannedBytes)
{
    public long End => Offset + Length;
}

/// <summary>Cuts planned areas into requests that both ends accept.</summary>
public static class TransferRequests
{
    /// <summary>
    /// Widens each area to <paramref name="alignment"/> (never past <paramref name="capacity"/>), merges what then
    /// touches, and cuts the result at multiples of <paramref name="requestSize"/> so requests line up with the
    /// servers' preferred blocks. Sorted by offset.
    /// </summary>
    public static IReadOnlyList<TransferRequest> Plan(IReadOnlyList<DiskArea> areas, long capacity, int requestSize, int alignment)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(alignment, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(requestSize, alignment);
        if (requestSize % alignment != 0)
        {
            throw new ArgumentException($"request size {requestSize} is not a multiple of the alignment {alignment}");
        }

        var widened = new List<DiskArea>();
        foreach (var area in areas.Where(a => a.Length > 0).OrderBy(a => a.Offset))
        {
            var start = area.Offset / alignment * alignment;
            var end = Math.Min(capacity, (area.End + alignment - 1) / alignment * alignment);
            if (widened.Count > 0 && widened[^1].End >= start)
            {
                var last = widened[^1];
                widened[^1] = new DiskArea(last.Offset, Math.Max(last.End, end) - last.Offset);
            }
            else
            {
                widened.Add(new DiskArea(start, end - start));
            }
        }

        var planned = areas.Where(a => a.Length > 0).OrderBy(a => a.Offset).ToList();
        var requests = new List<TransferRequest>();
        var cursor = 0;
        foreach (var area in widened)
        {
            for (var offset = area.Offset; offset < area.End;)
            {
                var next = Math.Min(area.End, ((offset / requestSize) + 1) * requestSize);
                requests.Add(new TransferRequest(offset, (int)(next - offset), PlannedWithin(planned, ref cursor, offset, next)));
                offset = next;
            }
        }

        return requests;
    }

    /// <summary>Gaps between requests up to <paramref name="capacity"/>: what a full sync must zero on a target that keeps old bytes.</summary>
    public static IEnumerable<DiskArea> Gaps(IReadOnlyList<TransferRequest> requests, long capacity)
    {
        long position = 0;
        foreach (var request in requests)
        {
            if (request.Offset > position)
            {
                yield return new DiskArea(position, request.Offset - position);
            }

            position = Math.Max(position, request.End);
        }

        if (capacity > position)
        {
            yield return new DiskArea(position, capacity - position);
        }
    }

    private static long PlannedWithin(List<DiskArea> planned, ref int cursor, long start, long end)
    {
        while (cursor < planned.Count && planned[cursor].End <= start)
        {
            cursor++;
        }

        long bytes = 0;
        for (var i = cursor; i < planned.Count && planned[i].Offset < end; i++)
        {
            bytes += Math.Min(end, planned[i].End) - Math.Max(start, planned[i].Offset);
        }

        return bytes;
    }
}
