using Microsoft.Extensions.DependencyInjection;
using Migration.Contracts.Status;
using Migration.Tests.Support;

namespace Migration.Tests.VSphere;

/// <summary><c>demo --vcenter</c> against the simulator: exit codes, the jobs it leaves, and what it refuses.</summary>
public sealed class DemoTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "vcenter-demo-" + Guid.NewGuid().ToString("N")[..12]);

    public DemoTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // left to the temp cleaner
        }
    }

    [Fact]
    public async Task Demo_against_the_simulator_replicates_every_vm_full_then_incremental_and_exits_zero()
    {
        await using var sim = await VcSim.StartAsync();
        var db = Path.Combine(_root, "demo.db");

        var code = await Cli.Program.Main(["demo", "--vcenter", sim.SdkUrl.ToString(), "--username", VcSim.Username, "--password", VcSim.Password,
            "--thumbprint", sim.ThumbprintSha1, "--db", db, "--targets", Path.Combine(_root, "targets"), "--timeout-minutes", "3"]);

        Assert.Equal(0, code);
        await using var services = Cli.CliSettings.ReadServices(db);
        var jobs = await services.GetRequiredService<Oma.Persistence.IJobQueries>().GetJobsAsync(20, default);
        Assert.Equal(sim.VmNames.Count * 2, jobs.Count);
        Assert.All(jobs, j => Assert.Equal(StatusMapping.Completed, j.Status));
        Assert.Equal(sim.VmNames.Count, jobs.Count(j => j.SyncType == "incremental"));
    }

    [Fact]
    public async Task Demo_with_insecure_and_one_named_vm_replicates_only_that_vm()
    {
        await using var sim = await VcSim.StartAsync();
        var db = Path.Combine(_root, "one.db");

        var code = await Cli.Program.Main(["demo", "--vcenter", sim.SdkUrl.ToString(), "--username", VcSim.Username, "--password", VcSim.Password,
            "--insecure", "--vm", "DC0_H0_VM1", "--db", db, "--targets", Path.Combine(_root, "targets"), "--timeout-minutes", "3"]);

        Assert.Equal(0, code);
        await using var services = Cli.CliSettings.ReadServices(db);
        var jobs = await services.GetRequiredService<Oma.Persistence.IJobQueries>().GetJobsAsync(20, default);
        Assert.Equal(2, jobs.Count);
        Assert.All(jobs, j => Assert.Equal("DC0_H0_VM1", j.VmName));
    }

    [Fact]
    public async Task Demo_refuses_a_large_inventory_without_vm_an_unknown_vm_and_insecure_with_a_thumbprint()
    {
        await using var sim = await VcSim.StartAsync("-vms", "6");
        Assert.Equal(12, sim.VmNames.Count);
        string[] common = ["demo", "--vcenter", sim.SdkUrl.ToString(), "--username", VcSim.Username, "--password", VcSim.Password, "--db", Path.Combine(_root, "refused.db")];

        Assert.Equal(2, await Cli.Program.Main([.. common, "--thumbprint", sim.ThumbprintSha256]));
        Assert.Equal(2, await Cli.Program.Main([.. common, "--thumbprint", sim.ThumbprintSha256, "--vm", "no-such-vm"]));
        Assert.Equal(2, await Cli.Program.Main([.. common, "--thumbprint", sim.ThumbprintSha256, "--insecure"]));
        Assert.Equal(2, await Cli.Program.Main(["demo", "--vcenter", sim.SdkUrl.ToString(), "--username", VcSim.Username]));
    }
}
