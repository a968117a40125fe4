using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Migration.VmaAgent.Configuration;
using Migration.VmaAgent.Sources;
using Migration.VmaAgent.Transfer;

namespace Migration.Tests.VmaAgent;

public sealed class ByteSizeTests
{
    [Theory]
    [InlineData("64MiB", 64L << 20)]
    [InlineData("64 MiB", 64L << 20)]
    [InlineData("512KiB", 512L << 10)]
    [InlineData("1GiB", 1L << 30)]
    [InlineData("4096", 4096)]
    [InlineData("1.5MB", 1_500_000)]
    [InlineData("2k", 2048)]
    [InlineData("10B", 10)]
    public void Sizes_parse_with_units(string text, long bytes) => Assert.Equal(bytes, ByteSize.Parse(text).Bytes);

    [Theory]
    [InlineData("")]
    [InlineData("MiB")]
    [InlineData("-1MiB")]
    [InlineData("12 parsecs")]
    public void Nonsense_is_not_a_size(string text) => Assert.False(ByteSize.TryParse(text, out _));
}

public sealed class ThroughputMeterTests
{
    [Fact]
    public void Rate_is_the_average_over_the_window_and_falls_to_zero_when_bytes_stop()
    {
        var time = new FakeTimeProvider();
        var meter = new ThroughputMeter(time, TimeSpan.FromSeconds(3));
        meter.Record(0);
        for (var second = 1; second <= 5; second++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            meter.Record(second * 1_000_000L);
        }

        Assert.Equal(1_000_000, meter.BytesPerSecond());

        time.Advance(TimeSpan.FromSeconds(1));
        meter.Record(5_000_000 + 4_000_000);
        // Window start is the sample at t=2 s (2 MB): 7 MB in 4 s.
        Assert.Equal(1_750_000, meter.BytesPerSecond());

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(0, meter.BytesPerSecond());
    }
}

public sealed class SimulatedInventoryTests
{
    private static SimulatedInventory Create(int seed = 7) => new(Options.Create(new VmaOptions
    {
        Simulated = new SimulatedSourceOptions
        {
            VmCount = 3,
            Seed = seed,
            DiskSize = ByteSize.FromMebibytes(1),
            BlockSize = ByteSize.FromKibibytes(4),
            ExtentSize = ByteSize.FromKibibytes(64),
        },
    }));

    [Fact]
    public void The_inventory_is_deterministic_per_seed()
    {
        var a = Create();
        var b = Create();

        Assert.Equal(["demo-vm-1", "demo-vm-2", "demo-vm-3"], a.Vms.Select(v => v.Name));
        Assert.Equal([1, 2, 3], a.Vms.Select(v => v.Disks.Count));
        Assert.Equal("Hard disk 2", a.Vms[1].Disks[1].Label);
        Assert.Equal(a.ReadDisk("demo-vm-2", "disk-1"), b.ReadDisk("demo-vm-2", "disk-1"));
        Assert.Equal(a.GetDisk("demo-vm-2", "disk-1").Current.ChangeId, b.GetDisk("demo-vm-2", "disk-1").Current.ChangeId);
        Assert.NotEqual(a.ReadDisk("demo-vm-1", "disk-0"), Create(seed: 8).ReadDisk("demo-vm-1", "disk-0"));
    }

    [Fact]
    public void Unallocated_areas_read_as_zeros_and_allocated_ones_hold_data()
    {
        var inventory = Create();
        var state = inventory.GetDisk("demo-vm-1", "disk-0").Current;
        var content = inventory.ReadDisk("demo-vm-1", "disk-0");
        var allocated = state.AllocatedAreas();

        Assert.InRange(allocated.Sum(a => a.Length), 1, content.Length - 1);
        long position = 0;
        foreach (var area in allocated)
        {
            Assert.True(content.AsSpan((int)position, (int)(area.Offset - position)).IndexOfAnyExcept((byte)0) < 0);
            Assert.True(content.AsSpan((int)area.Offset, (int)area.Length).IndexOfAnyExcept((byte)0) >= 0);
            position = area.End;
        }
    }

    [Fact]
    public void Changed_areas_are_the_union_of_writes_since_the_change_id()
    {
        var inventory = Create();
        var disk = inventory.GetDisk("demo-vm-1", "disk-0");
        disk.EnableChangeTracking();
        var baseId = disk.Current.ChangeId;
        var first = inventory.ChangeAreas("demo-vm-1", areasPerDisk: 2, areaBytes: 8192, seed: 1).Disks[0];
        var second = inventory.ChangeAreas("demo-vm-1", areasPerDisk: 2, areaBytes: 8192, seed: 2).Disks[0];

        var sinceBase = disk.Current.ChangedAreas(baseId);
        var sinceFirst = disk.Current.ChangedAreas(first.ChangeIdAfter);
        var sinceNow = disk.Current.ChangedAreas(second.ChangeIdAfter);

        Assert.Null(sinceBase.InvalidReason);
        var union = first.Areas.Concat(second.Areas).SelectMany(a => Enumerable.Range(0, (int)(a.Length / 4096)).Select(i => (a.Offset / 4096) + i)).Distinct().Count() * 4096L;
        Assert.Equal(union, sinceBase.TotalBytes);
        Assert.Equal(second.Areas, sinceFirst.Areas);
        Assert.Empty(sinceNow.Areas);
    }

    [Fact]
    public void A_snapshot_is_not_changed_by_later_writes()
    {
        var inventory = Create();
        var disk = inventory.GetDisk("demo-vm-1", "disk-0");
        var frozen = disk.Current;
        var before = new byte[disk.CapacityBytes];
        frozen.Read(0, before);

        inventory.ChangeAreas("demo-vm-1", areasPerDisk: 16, seed: 5);

        var after = new byte[disk.CapacityBytes];
        frozen.Read(0, after);
        Assert.Equal(before, after);
        Assert.NotEqual(before, inventory.ReadDisk("demo-vm-1", "disk-0"));
    }

    [Fact]
    public void Reset_and_unknown_change_ids_are_refused_with_a_reason()
    {
        var inventory = Create();
        var disk = inventory.GetDisk("demo-vm-2", "disk-0");
        disk.EnableChangeTracking();
        var old = disk.Current.ChangeId;
        var uuid = old.Split('/')[0];

        Assert.Contains("unknown", disk.Current.CheckChangeId($"{uuid}/5"), StringComparison.Ordinal);
        inventory.ResetChangeTracking("demo-vm-2");
        Assert.Contains("reset", disk.Current.CheckChangeId(old), StringComparison.Ordinal);
        Assert.NotNull(disk.Current.ChangedAreas(old).InvalidReason);
        Assert.Null(disk.Current.CheckChangeId(disk.Current.ChangeId));
        Assert.Equal(disk.Current.AllocatedAreas(), disk.Current.ChangedAreas("*").Areas);
    }
}

public sealed class StartupValidationTests
{
    [Theory]
    [InlineData("Vma:Source", "VSphere", "Vma:VSphere:Url")]
    [InlineData("Vma:Simulated:DiskSize", "1000", "Vma:Simulated:DiskSize")]
    [InlineData("Vma:Jobs:MaxConcurrentJobs", "0", "Vma:Jobs:MaxConcurrentJobs")]
    public void Settings_this_build_cannot_honour_stop_the_start_naming_the_key(string key, string value, string named)
    {
        using var factory = new WebApplicationFactory<global::Migration.VmaAgent.Program>()
            .WithWebHostBuilder(b => b.UseSetting(key, value).UseSetting("Vma:Target:Directory", Path.GetTempPath()));

        var error = Assert.Throws<OptionsValidationException>(() => factory.CreateClient());
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }
}
