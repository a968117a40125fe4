using System.Net;
using System.Net.Sockets;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Migration.Contracts;
using Migration.Contracts.Status;
using Migration.Contracts.Vma;
using Migration.Tests.Support;

namespace Migration.Tests.VSphere;

/// <summary>What goes wrong with vCenter, against the simulator: every case ends clearly and leaves no snapshot behind.</summary>
public sealed class FaultTests
{
    private const string Vm = "DC0_H0_VM1";

    [Fact]
    public async Task Sessions_expired_in_the_middle_of_a_transfer_do_not_stop_the_job()
    {
        // 1 MiB/s: the full sync (3 MiB) takes about three seconds.
        await using var h = await VSphereHarness.StartAsync(new() { ["Vma:Jobs:ThroughputCapPerJob"] = "1MiB", ["Vma:Jobs:ChunkSize"] = "64KiB" });
        await h.StartAsync("vs-expire", new VmReference { Name = Vm });
        var during = await h.WaitForProgressAsync("vs-expire", p => p.Status == VmaJobStatus.Streaming && p.Aggregate.BytesTransferred > 0, TimeSpan.FromSeconds(60));

        await h.Sim.ExpireSessionsAsync();

        var job = await h.FinishedAsync("vs-expire");
        Assert.True(job.Status == StatusMapping.Completed, job.ErrorMessage);
        Assert.True(during.Aggregate.BytesTransferred < during.Aggregate.TotalBytes);
        await h.AssertTargetsEqualSourceAsync(Vm);
        Assert.Empty(await h.Sim.SnapshotsAsync(Vm));
        Assert.Contains(h.Logs.All, l => l.Contains("logging in again", StringComparison.Ordinal));
        Assert.DoesNotContain(h.Logs.All, l => l.Contains(VcSim.Password, StringComparison.Ordinal));
        Assert.DoesNotContain(VcSim.Password, (await h.ProgressAsync("vs-expire")).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_vm_whose_cbt_cannot_be_enabled_fails_with_vCenters_reason_and_no_snapshot()
    {
        await using var h = await VSphereHarness.StartAsync();
        await h.Sim.FailNextAsync("ReconfigVM_Task", "The operation is not supported on the object: change tracking on this virtual hardware version.");

        var job = await h.RunAsync("vs-no-cbt", Vm);

        Assert.Equal(StatusMapping.Failed, job.Status);
        Assert.Contains("CBT could not be enabled", job.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("change tracking on this virtual hardware version", job.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(nameof(ReplicationStage.EnableCBT), job.CurrentOperation);
        Assert.Empty(await h.Sim.SnapshotsAsync(Vm));
    }

    [Fact]
    public async Task An_unknown_vm_fails_clearly_and_a_name_matching_two_vms_names_both_morefs_and_no_snapshot_is_taken()
    {
        await using var h = await VSphereHarness.StartAsync();

        var missing = await h.RunAsync("vs-missing", "no-such-vm");
        Assert.Equal(StatusMapping.Failed, missing.Status);
        Assert.Contains("no VM matches no-such-vm", missing.ErrorMessage, StringComparison.Ordinal);

        var first = await h.Sim.VmAsync("DC0_H0_VM0");
        var second = await h.Sim.VmAsync("DC0_C0_RP0_VM0");
        await h.Sim.RenameAsync(second.Moref, "DC0_H0_VM0");
        var ambiguous = await h.RunAsync("vs-twice", "DC0_H0_VM0");
        Assert.Equal(StatusMapping.Failed, ambiguous.Status);
        Assert.Contains(first.Moref, ambiguous.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains(second.Moref, ambiguous.ErrorMessage, StringComparison.Ordinal);

        foreach (var vm in await h.Sim.VmsAsync())
        {
            Assert.Empty(await h.Sim.SnapshotsAsync(vm.Moref));
        }
    }

    [Fact]
    public async Task A_failing_snapshot_task_fails_the_job_with_vCenters_message()
    {
        await using var h = await VSphereHarness.StartAsync();
        const string message = "An error occurred while saving the snapshot: Insufficient disk space on datastore 'LocalDS_0'.";
        await h.Sim.FailNextAsync("CreateSnapshot_Task", message);

        var job = await h.RunAsync("vs-snapfail", Vm);

        Assert.Equal(StatusMapping.Failed, job.Status);
        Assert.Contains(message, job.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("CreateSnapshot_Task", job.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(nameof(ReplicationStage.Snapshot), job.CurrentOperation);
        Assert.Empty(await h.Sim.SnapshotsAsync(Vm));
    }

    [Fact]
    public async Task An_orphaned_migration_snapshot_from_an_earlier_run_is_removed_before_the_new_one()
    {
        await using var h = await VSphereHarness.StartAsync();
        var vm = await h.Sim.VmAsync(Vm);
        await using (var client = ClientTests.Client(h.Sim))
        {
            var api = ClientTests.Api(client);
            await api.CreateSnapshotAsync(new("VirtualMachine", vm.Moref), "migration-job-that-died", "left by a crashed VMA", false, default);
            await api.CreateSnapshotAsync(new("VirtualMachine", vm.Moref), "operator-backup", "not ours", false, default);
        }

        Assert.Equal(["migration-job-that-died", "operator-backup"], await h.Sim.SnapshotsAsync(Vm));

        var job = await h.RunAsync("vs-orphan", Vm);

        Assert.True(job.Status == StatusMapping.Completed, job.ErrorMessage);
        Assert.Equal(["operator-backup"], await h.Sim.SnapshotsAsync(Vm));
        var log = await h.Queries.GetJobLogAsync("vs-orphan", default);
        Assert.Contains(log, l => l.EventKind == "vma-snapshot" && l.Message.Contains("migration-job-that-died", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_job_that_fails_after_its_snapshot_and_a_cancelled_job_leave_no_snapshot()
    {
        await using var h = await VSphereHarness.StartAsync(new() { ["Vma:Jobs:ThroughputCapPerJob"] = "512KiB", ["Vma:Jobs:ChunkSize"] = "64KiB" });
        await h.Sim.FailNextAsync("QueryChangedDiskAreas", "vCenter could not compute the changed areas");

        var failed = await h.RunAsync("vs-fail-after-snapshot", Vm);
        Assert.Equal(StatusMapping.Failed, failed.Status);
        Assert.Contains("could not compute the changed areas", failed.ErrorMessage, StringComparison.Ordinal);
        await WaitNoSnapshotAsync(h.Sim, Vm);

        await h.StartAsync("vs-cancel", new VmReference { Name = Vm });
        await h.WaitForProgressAsync("vs-cancel", p => p.Status == VmaJobStatus.Streaming && p.Aggregate.BytesTransferred > 0, TimeSpan.FromSeconds(60));
        Assert.Single(await h.Sim.SnapshotsAsync(Vm));
        await h.System.Services.GetRequiredService<IBus>().Publish(new CancelReplication { JobId = "vs-cancel", Reason = "operator" });
        var cancelled = await h.FinishedAsync("vs-cancel");
        Assert.Equal(StatusMapping.Failed, cancelled.Status);
        await h.WaitForProgressAsync("vs-cancel", p => p.Status == VmaJobStatus.Failed, TimeSpan.FromSeconds(30));
        await WaitNoSnapshotAsync(h.Sim, Vm);
    }

    [Fact]
    public async Task An_unreachable_vCenter_fails_the_job_within_the_configured_timeout_with_a_clear_error()
    {
        // Accepts TCP connections and never says a word: the worst kind of unreachable.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var url = $"https://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/sdk";
        await using var h = await VSphereHarness.StartAsync(new()
        {
            ["Vma:VSphere:Url"] = url,
            ["Vma:VSphere:CallTimeout"] = "00:00:02",
            ["Vma:VSphere:ConnectTimeout"] = "00:00:02",
        });
        var started = DateTime.UtcNow;

        var job = await h.RunAsync("vs-unreachable", Vm, timeout: TimeSpan.FromSeconds(30));

        Assert.Equal(StatusMapping.Failed, job.Status);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20), $"took {DateTime.UtcNow - started}");
        Assert.Contains(url, job.ErrorMessage, StringComparison.Ordinal);
        Assert.Matches("did not answer|could not be reached", job.ErrorMessage!);
        Assert.DoesNotContain(VcSim.Password, job.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_vCenter_that_goes_away_during_the_transfer_fails_the_job_with_a_clear_error()
    {
        await using var h = await VSphereHarness.StartAsync(new()
        {
            ["Vma:Jobs:ThroughputCapPerJob"] = "512KiB",
            ["Vma:Jobs:ChunkSize"] = "64KiB",
            ["Vma:VSphere:CallTimeout"] = "00:00:03",
            ["Vma:VSphere:ConnectTimeout"] = "00:00:02",
            ["Vma:VSphere:TaskTimeout"] = "00:00:05",
        });
        await h.StartAsync("vs-gone", new VmReference { Name = Vm });
        await h.WaitForProgressAsync("vs-gone", p => p.Status == VmaJobStatus.Streaming && p.Aggregate.BytesTransferred > 0, TimeSpan.FromSeconds(60));
        var stopped = DateTime.UtcNow;

        await h.Sim.DisposeAsync();

        var progress = await h.WaitForProgressAsync("vs-gone", p => p.Status == VmaJobStatus.Failed, TimeSpan.FromSeconds(30));
        Assert.True(DateTime.UtcNow - stopped < TimeSpan.FromSeconds(20));
        Assert.Equal(Contracts.Status.ReplicationStage.Transfer, progress.Stage);
        Assert.Contains("could not be reached", progress.Error, StringComparison.Ordinal);
    }

    private static async Task WaitNoSnapshotAsync(VcSim sim, string vm)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        IReadOnlyList<string> left;
        while ((left = await sim.SnapshotsAsync(vm)).Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Empty(left);
    }
}
