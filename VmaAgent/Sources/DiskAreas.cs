namespace Migration.VmaAgent.Sources;

/// <summary>Turns sets of block indices into sorted, coalesced byte areas.</summary>
public static class DiskAreas
{
    public static IReadOnlyList<DiskArea> FromBlocks(IEnumerable<long> blocks, long blockSize)
    {
        var areas = new List<DiskArea>();
        long runStart = -1, runEnd = -1;
        foreach (var block in blocks.Distinct().Order())
        {
            if (block == runEnd)
            {
                runEnd++;
                continue;
            }

            if (runStart >= 0)
            {
                areas.Add(new DiskArea(runStart * blockSize, (runEnd - runStart) * blockSize));
            }

            runStart = block;
            runEnd = block + 1;
        }

        if (runStart >= 0)
        {
            areas.Add(new DiskArea(runStart * blockSize, (runEnd - runStart) * blockSize));
        }

        return areas;
    }
}
