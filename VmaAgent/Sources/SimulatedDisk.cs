using System.Collections.Immutable;
using System.Globalization;

namespace Migration.VmaAgent.Sources;

/// <summary>
/// One synthetic virtual disk: deterministic initial content (partly sparse), blocks written since, and a CBT
/// journal. Every write swaps in a new immutable <see cref="SimulatedDiskState"/>, so a snapshot is just the
/// state captured at that moment and later writes never reach a running transfer.
/// </summary>
public sealed class SimulatedDisk
{
    private readonly Lock _gate = new();
    private readonly ulong _contentKey;
    private readonly ulong _cbtKey;
    private SimulatedDiskState _state;

    internal SimulatedDisk(string id, string label, int deviceKey, long capacityBytes, long blockSize, long extentSize,
        int allocatedPercent, ulong contentKey, ulong cbtKey)
    {
        Id = id;
        Label = label;
        DeviceKey = deviceKey;
        CapacityBytes = capacityBytes;
        BlockSize = blockSize;
        _contentKey = contentKey;
        _cbtKey = cbtKey;
        var layout = new BaseLayout(contentKey, capacityBytes, blockSize, extentSize, allocatedPercent);
        _state = new SimulatedDiskState(this, layout, ImmutableDictionary<long, byte[]>.Empty,
            ChangeTrackingEnabled: false, CbtEpoch: 0, CbtUuid: SimulatedContent.GuidFrom(cbtKey), Sequence: 0,
            ImmutableList<JournalEntry>.Empty);
    }

    public string Id { get; }

    public string Label { get; }

    public int DeviceKey { get; }

    public long CapacityBytes { get; }

    public long BlockSize { get; }

    /// <summary>The disk as it is now (an immutable view: later writes do not change it).</summary>
    public SimulatedDiskState Current => Volatile.Read(ref _state);

    public void EnableChangeTracking()
    {
        lock (_gate)
        {
            if (!_state.ChangeTrackingEnabled)
            {
                _state = _state with { ChangeTrackingEnabled = true };
            }
        }
    }

    /// <summary>Like a vSphere CBT reset: a new uuid, the journal forgotten; old change ids stop being usable.</summary>
    public void ResetChangeTracking()
    {
        lock (_gate)
        {
            var epoch = _state.CbtEpoch + 1;
            _state = _state with
            {
                CbtEpoch = epoch,
                CbtUuid = SimulatedContent.GuidFrom(SimulatedContent.Key((long)_cbtKey, epoch)),
                Sequence = 0,
                Journal = ImmutableList<JournalEntry>.Empty,
            };
        }
    }

    /// <summary>Writes new bytes into <paramref name="areaCount"/> areas of about <paramref name="areaBytes"/> each.</summary>
    internal DiskChange WriteAreas(int areaCount, long areaBytes, long seed)
    {
        var blocksPerArea = Math.Max(1, (areaBytes + BlockSize - 1) / BlockSize);
        var totalBlocks = CapacityBytes / BlockSize;
        blocksPerArea = Math.Min(blocksPerArea, totalBlocks);
        var random = new Random(unchecked((int)SimulatedContent.Key((long)_contentKey, seed)));
        var blocks = new SortedSet<long>();
        for (var i = 0; i < areaCount; i++)
        {
            var start = random.NextInt64(0, totalBlocks - blocksPerArea + 1);
            for (var b = start; b < start + blocksPerArea; b++)
            {
                blocks.Add(b);
            }
        }

        lock (_gate)
        {
            var sequence = _state.Sequence + 1;
            var written = _state.Written.ToBuilder();
            foreach (var block in blocks)
            {
                var bytes = new byte[BlockSize];
                SimulatedContent.Fill(SimulatedContent.Key((long)_contentKey, block, _state.CbtEpoch, sequence, seed), bytes);
                written[block] = bytes;
            }

            var entry = new JournalEntry(sequence, [.. blocks]);
            _state = _state with
            {
                Written = written.ToImmutable(),
                Sequence = sequence,
                Journal = _state.Journal.Add(entry),
            };
            var areas = DiskAreas.FromBlocks(blocks, BlockSize);
            return new DiskChange(Id, _state.ChangeId, areas, areas.Sum(a => a.Length));
        }
    }
}

/// <summary>What one write did to one disk.</summary>
public sealed record DiskChange(string DiskId, string ChangeIdAfter, IReadOnlyList<DiskArea> Areas, long Bytes);

/// <summary>One write in a disk's CBT journal: the blocks it touched.</summary>
public sealed record JournalEntry(long Sequence, ImmutableArray<long> Blocks);

/// <summary>An immutable view of a simulated disk: its bytes and its CBT position at one moment.</summary>
public sealed record SimulatedDiskState(
    SimulatedDisk Disk,
    BaseLayout Layout,
    ImmutableDictionary<long, byte[]> Written,
    bool ChangeTrackingEnabled,
    int CbtEpoch,
    Guid CbtUuid,
    long Sequence,
    ImmutableList<JournalEntry> Journal)
{
    public string ChangeId => string.Create(CultureInfo.InvariantCulture, $"{CbtUuid:D}/{Sequence}");

    public long CapacityBytes => Disk.CapacityBytes;

    /// <summary>Areas holding data: the initially allocated extents plus every block written since.</summary>
    public IReadOnlyList<DiskArea> AllocatedAreas() =>
        DiskAreas.FromBlocks(Layout.AllocatedBlocks().Concat(Written.Keys), Layout.BlockSize);

    /// <summary>Why <paramref name="changeId"/> cannot be the base of an incremental at this state, or null if it can.</summary>
    public string? CheckChangeId(string changeId)
    {
        if (!ChangeTrackingEnabled)
        {
            return "change tracking is not enabled on the disk";
        }

        var slash = changeId.LastIndexOf('/');
        if (slash <= 0 || !Guid.TryParse(changeId.AsSpan(0, slash), out var uuid)
            || !long.TryParse(changeId.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
        {
            return $"change id '{changeId}' is not of the form <uuid>/<sequence>";
        }

        if (uuid != CbtUuid)
        {
            return $"CBT was reset: change id '{changeId}' belongs to tracking epoch {uuid:D}, the disk now tracks as {CbtUuid:D}";
        }

        return sequence > Sequence ? $"change id '{changeId}' is unknown: the disk's journal ends at sequence {Sequence}" : null;
    }

    /// <summary>Areas written after <paramref name="changeId"/> and up to this state; <c>"*"</c>: the allocated areas.</summary>
    public ChangedAreasResult ChangedAreas(string changeId)
    {
        if (changeId == "*")
        {
            return new ChangedAreasResult(AllocatedAreas(), null);
        }

        var invalid = CheckChangeId(changeId);
        if (invalid is not null)
        {
            return ChangedAreasResult.Invalid(invalid);
        }

        var since = long.Parse(changeId.AsSpan(changeId.LastIndexOf('/') + 1), CultureInfo.InvariantCulture);
        var blocks = Journal.Where(e => e.Sequence > since && e.Sequence <= Sequence).SelectMany(e => e.Blocks);
        return new ChangedAreasResult(DiskAreas.FromBlocks(blocks, Layout.BlockSize), null);
    }

    /// <summary>Copies the bytes at <paramref name="offset"/> into <paramref name="destination"/> (zeros where unallocated).</summary>
    public void Read(long offset, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (offset + destination.Length > CapacityBytes)
        {
            throw new ArgumentOutOfRangeException(nameof(destination), "read past the end of the disk");
        }

        var blockSize = Layout.BlockSize;
        byte[]? scratch = null;
        while (!destination.IsEmpty)
        {
            var block = offset / blockSize;
            var inBlock = (int)(offset % blockSize);
            var count = (int)Math.Min(blockSize - inBlock, destination.Length);
            var target = destination[..count];
            if (Written.TryGetValue(block, out var bytes))
            {
                bytes.AsSpan(inBlock, count).CopyTo(target);
            }
            else if (!Layout.IsAllocated(block))
            {
                target.Clear();
            }
            else if (inBlock == 0 && count == blockSize)
            {
                Layout.FillBlock(block, target);
            }
            else
            {
                scratch ??= new byte[blockSize];
                Layout.FillBlock(block, scratch);
                scratch.AsSpan(inBlock, count).CopyTo(target);
            }

            offset += count;
            destination = destination[count..];
        }
    }
}

/// <summary>The initial content: which extents hold data, and their deterministic bytes.</summary>
public sealed class BaseLayout(ulong contentKey, long capacityBytes, long blockSize, long extentSize, int allocatedPercent)
{
    public long BlockSize => blockSize;

    private long BlocksPerExtent => extentSize / blockSize;

    public bool IsAllocated(long block)
    {
        var extent = block / BlocksPerExtent;
        // The first extent always holds data, as a boot sector would.
        return extent == 0 || (long)(SimulatedContent.Key((long)contentKey, extent) % 100) < allocatedPercent;
    }

    public IEnumerable<long> AllocatedBlocks()
    {
        var blocks = capacityBytes / blockSize;
        for (long block = 0; block < blocks; block++)
        {
            if (IsAllocated(block))
            {
                yield return block;
            }
        }
    }

    public void FillBlock(long block, Span<byte> destination) =>
        SimulatedContent.Fill(SimulatedContent.Key((long)contentKey, block), destination);
}
