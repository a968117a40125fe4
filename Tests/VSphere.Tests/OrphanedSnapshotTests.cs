using Migration.Contracts.Status;
using Migration.Tests.Support;
using Migration.VmaAgent.VSphere;

namespace Migration.Tests.VSphere;

/// <summary>A VMA that starts removes the <c>migration-*</c> snapshots an earlier VMA left behind, and nothing else.</summary>
public sealed class OrphanedSnapshotTests
{
    private const string Vm = "DC0_H0_VM1";
    private const string OtherVm = "DC0_H0_VM0";

    [Fact]
    public async Task A_starting_vma_removes_every_orphaned_migration_snapshot_and_keeps_the_others()
    {
        await using var sim = await VcSim.StartAsync();
        var vm = await sim.VmAsync(Vm);
        var other = await sim.VmAsync(OtherVm);
        await CreateSnapshotsAsync(sim, (vm.Moref, "operator-backup"), (vm.Moref, "migration-old-job"), (other.Moref, "migration-other-job"));
        Assert.Equal(["operator-backup", "migration-old-job"], await sim.SnapshotsAsync(Vm));

        await using var h = await VSphereHarness.StartAsync(sim: sim);

        await WaitForAsync(async () => (await sim.SnapshotsAsync(Vm)).SequenceEqual(["operator-backup"]) && (await sim.SnapshotsAsync(OtherVm)).Count == 0, sim);
        // A snapshot is gone from vCenter a moment before its removal is logged: the sweep's summary line comes last.
        await WaitForAsync(() => Task.FromResult(h.Logs.All.Any(l => l.Contains("2 removed", StringComparison.Ordinal))), sim);
        Assert.Contains(h.Logs.All, l => l.StartsWith("Warning", StringComparison.Ordinal)
            && l.Contains("Removed orphaned snapshot migration-old-job", StringComparison.Ordinal)
            && l.Contains("of job old-job", StringComparison.Ordinal) && l.Contains($"({vm.Moref})", StringComparison.Ordinal));
        Assert.Contains(h.Logs.All, l => l.Contains("of job other-job", StringComparison.Ordinal) && l.Contains($"({other.Moref})", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_removal_that_fails_at_start_is_a_warning_and_the_vma_starts_and_runs_jobs()
    {
        await using var sim = await VcSim.StartAsync();
        var vm = await sim.VmAsync(Vm);
        var other = await sim.VmAsync(OtherVm);
        await CreateSnapshotsAsync(sim, (vm.Moref, "migration-old-job"), (other.Moref, "migration-other-job"));
        await sim.FailNextAsync("RemoveSnapshot_Task", "the datastore is busy");

        await using var h = await VSphereHarness.StartAsync(sim: sim);

        await WaitForAsync(() => Task.FromResult(h.Logs.All.Any(l => l.Contains("1 removed", StringComparison.Ordinal))), sim);
        var failure = Assert.Single(h.Logs.All, l => l.Contains("Could not remove orphaned snapshot", StringComparison.Ordinal));
        Assert.StartsWith("Warning", failure, StringComparison.Ordinal);
        Assert.Contains("the datastore is busy", failure, StringComparison.Ordinal);
        var leftOn = failure.Contains($"({vm.Moref})", StringComparison.Ordinal) ? Vm : OtherVm;
        Assert.Single(await sim.SnapshotsAsync(leftOn));

        // The agent started: a job on the VM that kept its orphan runs, removing it before taking its own.
        var job = await h.RunAsync("vs-after-failed-sweep", leftOn);
        Assert.True(job.Status == StatusMapping.Completed, job.ErrorMessage);
        Assert.Empty(await sim.SnapshotsAsync(Vm));
        Assert.Empty(await sim.SnapshotsAsync(OtherVm));
    }

    private static async Task CreateSnapshotsAsync(VcSim sim, params (string Moref, string Name)[] snapshots)
    {
        await using var client = ClientTests.Client(sim);
        var api = ClientTests.Api(client);
        foreach (var (moref, name) in snapshots)
        {
            await api.CreateSnapshotAsync(new MoRef("VirtualMachine", moref), name, "made by the test", false, default);
        }
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, VcSim sim)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not reached within 30 s; simulator: {sim.StandardError()}");
            await Task.Delay(100);
        }
    }
}
