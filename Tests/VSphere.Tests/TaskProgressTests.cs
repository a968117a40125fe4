using System.Collections.Concurrent;
using System.Diagnostics;
using Migration.Tests.Support;
using Migration.VmaAgent.VSphere;

namespace Migration.Tests.VSphere;

/// <summary>
/// Task completion through the property collector: a task the simulator holds running at given percentages (govmomi's
/// own tasks finish before their call answers and never set <c>info.progress</c>) is followed to its end, each
/// progress value reported, and a task that outlives <c>TaskTimeout</c> fails naming the call.
/// </summary>
public sealed class TaskProgressTests : IAsyncLifetime
{
    private const string VmName = "DC0_H0_VM0";
    private VcSim _sim = null!;

    public async Task InitializeAsync() => _sim = await VcSim.StartAsync();

    public async Task DisposeAsync() => await _sim.DisposeAsync();

    [Fact]
    public async Task A_snapshot_task_and_its_removal_held_at_given_percentages_report_each_one_then_their_outcome()
    {
        var vm = await _sim.VmAsync(VmName);
        await _sim.SetCbtAsync(VmName, true);
        await using var client = ClientTests.Client(_sim);
        var api = ClientTests.Api(client);
        var vmRef = new MoRef("VirtualMachine", vm.Moref);
        var seen = new ConcurrentQueue<VimTaskProgress>();

        // Each value is held until the test has seen it: a loaded machine cannot make a poll miss one.
        await _sim.HoldNextTaskAsync("CreateSnapshot_Task", [15, 60], TimeSpan.Zero);
        var creating = api.CreateSnapshotAsync(vmRef, "migration-progress", "", false, default, seen.Enqueue);
        await SeenAsync(seen, 15);
        await _sim.AdvanceTaskAsync("CreateSnapshot_Task");
        await SeenAsync(seen, 60);
        Assert.False(creating.IsCompleted);
        await _sim.AdvanceTaskAsync("CreateSnapshot_Task");
        var snapshot = await creating;

        Assert.Equal([15, 60], seen.Select(p => p.Percent));
        Assert.All(seen, p => Assert.Equal(("CreateSnapshot_Task", vm.Moref), (p.Call, p.Target)));
        Assert.Equal(["migration-progress"], await _sim.SnapshotsAsync(VmName));
        // The held call really ran when it was let go: the snapshot froze the disks and carries their change ids.
        var disks = await api.SnapshotDisksAsync(snapshot, default);
        Assert.All(disks, d => Assert.Contains(snapshot.Value, d.FileName, StringComparison.Ordinal));
        Assert.All(disks, d => Assert.False(string.IsNullOrEmpty(d.ChangeId)));

        seen.Clear();
        await _sim.HoldNextTaskAsync("RemoveSnapshot_Task", [30], TimeSpan.Zero);
        var removing = api.RemoveSnapshotAsync(snapshot, default, seen.Enqueue);
        await SeenAsync(seen, 30);
        await _sim.AdvanceTaskAsync("RemoveSnapshot_Task");
        await removing;

        Assert.Equal([30], seen.Select(p => p.Percent));
        Assert.Empty(await _sim.SnapshotsAsync(VmName));
    }

    private static async Task SeenAsync(ConcurrentQueue<VimTaskProgress> seen, int percent)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!seen.Any(p => p.Percent == percent))
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    [Fact]
    public async Task A_task_still_running_after_TaskTimeout_fails_naming_the_call_and_the_timeout()
    {
        var vm = await _sim.VmAsync(VmName);
        await using var client = ClientTests.Client(_sim);
        var api = new VimApi(client, TimeProvider.System, TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(50));
        await _sim.HoldNextTaskAsync("CreateSnapshot_Task", [5], TimeSpan.Zero); // never let go
        var seen = new List<int>();

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<VimUnavailableException>(() =>
            api.CreateSnapshotAsync(new MoRef("VirtualMachine", vm.Moref), "migration-slow", "", false, default, p => seen.Add(p.Percent)));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"waited {clock.Elapsed}");
        Assert.Contains("CreateSnapshot_Task", error.Message, StringComparison.Ordinal);
        Assert.Contains("did not finish within 00:00:00.5", error.Message, StringComparison.Ordinal);
        Assert.Equal([5], seen);
    }
}
