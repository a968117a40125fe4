using System.Text.RegularExpressions;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Migration.Contracts;
using Migration.Contracts.Status;
using Migration.Contracts.Vma;
using Migration.Tests.Support;

namespace Migration.Tests.VSphere;

/// <summary>
/// <c>Vma:VSphere:DiskReader=Nbd</c> against the simulator: each snapshot disk is exported by an nbdkit process of its
/// own (the file plugin over the simulator's datastore folder, where production runs the vddk plugin) and read with our
/// NBD client; the processes are gone when the job is.
/// </summary>
public sealed partial class NbdReaderTests
{
    private const string Vm = "DC0_H0_VM0";

    [Fact]
    public async Task Full_then_incremental_through_nbdkit_exports_equal_the_sources_plan_the_journals_areas_and_leave_no_nbdkit_running()
    {
        var sim = await VcSim.StartAsync();
        var (datastore, folder) = sim.Datastores.Single();
        await using var h = await VSphereHarness.StartAsync(new()
        {
            ["Vma:VSphere:DiskReader"] = "Nbd",
            ["Vma:VSphere:Nbd:Plugin"] = "file",
            [$"Vma:VSphere:Nbd:DatastoreRoots:{datastore}"] = folder,
        }, sim: sim);
        var disks = (await sim.VmAsync(Vm)).Disks;
        await sim.WriteAsync(Vm, disks[0].Key, 3 << 20, VcSim.Pattern(100_000, 11));
        await sim.WriteAsync(Vm, disks[1].Key, (1 << 20) + 512, VcSim.Pattern(4096, 12));
        var allocated = 0L;
        foreach (var disk in disks)
        {
            allocated += (await sim.AreasAsync(Vm, disk.Key, "*")).Bytes;
        }

        // The job's snapshot and its removal run a while at some percentage, as on vCenter: the VMA logs it with the job id.
        // Each held until the VMA has logged it.
        await sim.HoldNextTaskAsync("CreateSnapshot_Task", [40], TimeSpan.Zero);
        await sim.HoldNextTaskAsync("RemoveSnapshot_Task", [70], TimeSpan.Zero);
        await h.StartAsync("vs-nbd-full", new VmReference { Name = Vm });
        await LoggedAsync(h, "vCenter task CreateSnapshot_Task", "for job vs-nbd-full: 40 %");
        await sim.AdvanceTaskAsync("CreateSnapshot_Task");
        await LoggedAsync(h, "vCenter task RemoveSnapshot_Task", "for job vs-nbd-full: 70 %");
        await sim.AdvanceTaskAsync("RemoveSnapshot_Task");
        var full = await h.FinishedAsync("vs-nbd-full");

        Assert.True(full.Status == StatusMapping.Completed, full.ErrorMessage);
        Assert.Equal(("full", allocated, allocated), (full.SyncType, full.TotalBytes, full.BytesTransferred));
        await h.AssertTargetsEqualSourceAsync(Vm);
        var fullPids = StartedPids(h);
        Assert.Equal(disks.Count, fullPids.Count);
        AssertStopped(h, fullPids, folder);

        var afterFull = (await sim.VmAsync(Vm)).Disks;
        await sim.WriteAsync(Vm, disks[0].Key, 65536 * 9 + 10, VcSim.Pattern(70_000, 13));
        await sim.WriteAsync(Vm, disks[1].Key, 0, VcSim.Pattern(512, 14));
        var changed = new Dictionary<string, long>();
        foreach (var disk in afterFull)
        {
            changed[disk.Id] = (await sim.AreasAsync(Vm, disk.Key, disk.ChangeId)).Bytes;
        }

        var incremental = await h.RunAsync("vs-nbd-incr", Vm);

        Assert.True(incremental.Status == StatusMapping.Completed, incremental.ErrorMessage);
        Assert.Equal(("incremental", changed.Values.Sum()), (incremental.SyncType, incremental.TotalBytes));
        await h.AssertTargetsEqualSourceAsync(Vm);
        var progress = await h.ProgressAsync("vs-nbd-incr");
        Assert.All(progress.Disks, d => Assert.Equal(changed[d.Id], d.PlannedBytes));
        var allPids = StartedPids(h);
        Assert.Equal(2 * disks.Count, allPids.Count);
        AssertStopped(h, allPids, folder);
        Assert.Empty(await sim.SnapshotsAsync(Vm));
    }

    [Fact]
    public async Task A_job_cancelled_while_it_reads_through_nbdkit_stops_every_export_and_leaves_no_snapshot()
    {
        var sim = await VcSim.StartAsync();
        var (datastore, folder) = sim.Datastores.Single();
        await using var h = await VSphereHarness.StartAsync(new()
        {
            ["Vma:VSphere:DiskReader"] = "Nbd",
            ["Vma:VSphere:Nbd:Plugin"] = "file",
            [$"Vma:VSphere:Nbd:DatastoreRoots:{datastore}"] = folder,
            ["Vma:Jobs:ThroughputCapPerJob"] = "512KiB",
            ["Vma:Jobs:ChunkSize"] = "64KiB",
        }, sim: sim);

        await h.StartAsync("vs-nbd-cancel", new VmReference { Name = Vm });
        await h.WaitForProgressAsync("vs-nbd-cancel", p => p.Status == VmaJobStatus.Streaming && p.Aggregate.BytesTransferred > 0, TimeSpan.FromSeconds(60));
        var pids = StartedPids(h);
        Assert.Equal(2, pids.Count);
        Assert.All(pids, pid => Assert.True(IsNbdkit(pid), $"nbdkit pid {pid} is not running while the job reads"));
        await h.System.Services.GetRequiredService<IBus>().Publish(new CancelReplication { JobId = "vs-nbd-cancel", Reason = "operator" });

        var cancelled = await h.FinishedAsync("vs-nbd-cancel");
        Assert.Equal(StatusMapping.Failed, cancelled.Status);
        await h.WaitForProgressAsync("vs-nbd-cancel", p => p.Status == VmaJobStatus.Failed, TimeSpan.FromSeconds(30));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while ((await sim.SnapshotsAsync(Vm)).Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Empty(await sim.SnapshotsAsync(Vm));
        AssertStopped(h, pids, folder); // the exports go before the snapshot is removed
    }

    private static async Task LoggedAsync(VSphereHarness h, string first, string second)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!h.Logs.All.Any(l => l.Contains(first, StringComparison.Ordinal) && l.Contains(second, StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, $"no log line with '{first}' and '{second}'");
            await Task.Delay(20);
        }
    }

    private static List<int> StartedPids(VSphereHarness h) =>
        [.. h.Logs.All.Select(l => StartedLine().Match(l)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))];

    /// <summary>Every nbdkit the jobs started was stopped (its stop logged, its pid gone) and none still serves the simulator's datastore.</summary>
    private static void AssertStopped(VSphereHarness h, List<int> pids, string folder)
    {
        foreach (var pid in pids)
        {
            Assert.Contains(h.Logs.All, l => l.Contains($"Stopped nbdkit pid {pid} ", StringComparison.Ordinal));
            Assert.False(IsNbdkit(pid), $"nbdkit pid {pid} is still running");
        }

        var serving = Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsAsciiDigit))
            .Select(n => ReadCommandLine(n!))
            .Where(command => command.Split(' ')[0].EndsWith("nbdkit", StringComparison.Ordinal) && command.Contains(folder, StringComparison.Ordinal))
            .ToList();
        Assert.Empty(serving);
    }

    private static bool IsNbdkit(int pid) =>
        ReadCommandLine(pid.ToString(System.Globalization.CultureInfo.InvariantCulture)).Split(' ')[0].EndsWith("nbdkit", StringComparison.Ordinal);

    private static string ReadCommandLine(string pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }

    [GeneratedRegex(@"Started nbdkit \(file\) pid (\d+) ")]
    private static partial Regex StartedLine();
}
