using System.Security.Cryptography;
using Migration.Contracts.Status;
using Migration.Tests.Cluster.Infrastructure;
using Migration.Tests.Support;
using Xunit.Abstractions;

namespace Migration.Tests.Cluster;

/// <summary>
/// The vCenter path once on the real deployment shape: the vCenter simulator, a VMA on the VSphere source, a worker
/// and a scheduler, each its own process, on RabbitMQ and PostgreSQL; a full sync then an incremental.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class VSphereClusterTests(ITestOutputHelper output)
{
    private const string Vm = "DC0_C0_RP0_VM1";

    [Fact]
    public async Task A_vCenter_vm_replicates_full_then_incremental_across_separate_processes_on_RabbitMQ_and_PostgreSQL()
    {
        await using var sim = await VcSim.StartAsync();
        await using var run = await ClusterRun.CreateAsync("vsphere", output);
        var passwordFile = Path.Combine(run.WorkDirectory, "vcenter-password");
        await File.WriteAllTextAsync(passwordFile, VcSim.Password + "\n");
        var vma = run.StartVma("vma", vmCount: 1, throughputCapPerJob: "0", new Dictionary<string, string>
        {
            ["Vma__Source"] = "VSphere",
            ["Vma__VSphere__Url"] = sim.SdkUrl.ToString(),
            ["Vma__VSphere__Username"] = VcSim.Username,
            ["Vma__VSphere__PasswordFile"] = passwordFile,
            ["Vma__VSphere__CaFile"] = sim.CaFile,
            ["Vma__VSphere__TaskPollInterval"] = "00:00:00.100",
            ["Vma__Jobs__StageDelay"] = "00:00:00",
        });
        var tracking = new Dictionary<string, string> { ["Tracking__PollInterval"] = "00:00:00.500", ["Tracking__WriteMinInterval"] = "00:00:00.500" };
        var worker = run.StartWorker("worker", tracking);
        var scheduler = run.StartScheduler("scheduler", tracking);
        await ClusterRun.WaitReadyAsync(vma, worker, scheduler);
        var disks = (await sim.VmAsync(Vm)).Disks;
        await sim.WriteAsync(Vm, disks[0].Key, 2 << 20, VcSim.Pattern(200_000, 11));
        await sim.WriteAsync(Vm, disks[1].Key, 3 << 20, VcSim.Pattern(65536, 12));

        await run.PublishStartsAsync([("vs-cluster-full", Vm, vma.Url)], SyncType.Full);
        await run.WaitForJobsAsync(["vs-cluster-full"], new ProgressMonitor(), TimeSpan.FromMinutes(2));
        var afterFull = (await sim.VmAsync(Vm)).Disks;
        await AssertRunAsync(run, sim, "vs-cluster-full", "full");

        await sim.WriteAsync(Vm, disks[0].Key, 6 << 20, VcSim.Pattern(1000, 13));
        var changed = 0L;
        foreach (var disk in afterFull)
        {
            changed += (await sim.AreasAsync(Vm, disk.Key, disk.ChangeId)).Bytes;
        }

        await run.PublishStartsAsync([("vs-cluster-incr", Vm, vma.Url)], SyncType.Auto);
        var jobs = await run.WaitForJobsAsync(["vs-cluster-incr"], new ProgressMonitor(), TimeSpan.FromMinutes(2));
        await AssertRunAsync(run, sim, "vs-cluster-incr", "incremental");
        Assert.Equal(changed, jobs.Single(j => j.Id == "vs-cluster-incr").TotalBytes);
        var history = await run.Database.GetCbtHistoryAsync();
        Assert.All(afterFull, d => Assert.Contains(history, h => h.JobId == "vs-cluster-full" && h.ChangeId == d.ChangeId));
    }

    private static async Task AssertRunAsync(ClusterRun run, VcSim sim, string jobId, string syncType)
    {
        var job = (await run.Database.GetJobsAsync()).Single(j => j.Id == jobId);
        Assert.True(job.Status == "completed", job.ToString());
        var current = (await sim.VmAsync(Vm)).Disks;
        var rows = (await run.Database.GetDisksAsync()).Where(d => d.JobId == jobId).ToList();
        var history = (await run.Database.GetCbtHistoryAsync()).Where(h => h.JobId == jobId).ToList();
        foreach (var disk in current)
        {
            Assert.Equal(disk.ChangeId, rows.Single(r => r.DiskId == disk.Id).DiskChangeId);
            Assert.Equal((disk.ChangeId, syncType, true), history.Single(h => h.DiskId == disk.Id) is var h ? (h.ChangeId, h.SyncType, h.SyncSuccess) : default);
            await using var image = File.OpenRead(Path.Combine(run.WorkDirectory, "targets", Vm, disk.Id + ".img"));
            Assert.Equal(await sim.Sha256Async(Vm, disk.Key), Convert.ToHexStringLower(await SHA256.HashDataAsync(image)));
        }
    }
}
