using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Migration.Contracts.Status;
using Migration.VmaAgent.Jobs;

namespace Migration.Tests.VmaAgent;

public sealed class SimulatorEndpointTests(FastAgentFactory factory) : IClassFixture<FastAgentFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task The_inventory_lists_vms_with_their_disks()
    {
        using var vms = JsonDocument.Parse(await _client.GetStringAsync("/api/v1/simulator/vms"));

        Assert.Equal(12, vms.RootElement.GetArrayLength());
        var third = vms.RootElement[2];
        Assert.Equal("demo-vm-3", third.GetProperty("name").GetString());
        var disks = third.GetProperty("disks");
        Assert.Equal(3, disks.GetArrayLength());
        Assert.Equal("disk-0", disks[0].GetProperty("id").GetString());
        Assert.Equal("Hard disk 1", disks[0].GetProperty("label").GetString());
        Assert.Equal(1 << 20, disks[0].GetProperty("capacity_bytes").GetInt64());
        Assert.InRange(disks[0].GetProperty("allocated_bytes").GetInt64(), 1, (1 << 20) - 1);
    }

    [Fact]
    public async Task Writing_changes_over_http_gives_the_next_incremental_exactly_those_areas()
    {
        const string vm = "demo-vm-5";
        await _client.StartAsync("sim-full", vm);
        var full = await _client.WaitFinishedAsync("sim-full");

        var response = await _client.PostAsJsonAsync($"/api/v1/simulator/vms/{vm}/changes", new { areas = 2, area_bytes = 5000, seed = 17 });
        using var change = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        await _client.StartAsync("sim-incr", vm, full.ChangeIds());
        var incremental = await _client.WaitFinishedAsync("sim-incr");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var disk = change.RootElement.GetProperty("disks")[0];
        Assert.Equal(disk.GetProperty("bytes").GetInt64(), incremental.Disks[0].PlannedBytes);
        Assert.Equal(disk.GetProperty("change_id").GetString(), incremental.Disks[0].ChangeId);
        Assert.Equal("incremental", incremental.Cbt.Type);
        Assert.Equal(factory.Inventory.ReadDisk(vm, "disk-0"), await File.ReadAllBytesAsync(Path.Combine(factory.TargetDirectory, vm, "disk-0.img")));
    }

    [Fact]
    public async Task Changes_to_an_unknown_vm_are_404_and_a_bad_body_is_400()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await _client.PostAsJsonAsync("/api/v1/simulator/vms/nope/changes", new { areas = 1 })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _client.PostAsJsonAsync("/api/v1/simulator/vms/demo-vm-1/changes", new { areas = 0 })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _client.PostAsJsonAsync("/api/v1/simulator/vms/demo-vm-1/changes", new { areaz = 1 })).StatusCode);
    }

    [Fact]
    public async Task A_target_that_cannot_be_written_fails_the_job_and_the_agent_carries_on()
    {
        var blocker = Path.Combine(factory.TargetDirectory, "a-file");
        Directory.CreateDirectory(factory.TargetDirectory);
        await File.WriteAllTextAsync(blocker, "not a directory");
        var uri = new Uri(Path.Combine(blocker, "sub", "disk-0.img")).AbsoluteUri;

        await _client.StartAsync("""{"job_id":"unwritable-1","vm":{"name":"demo-vm-11"},"target":{"disks":{"disk-0":{"uri":"URI"}}}}"""
            .Replace("URI", uri, StringComparison.Ordinal));
        var failed = await _client.WaitFinishedAsync("unwritable-1");

        Assert.Equal(VmaJobStatus.Failed, failed.Status);
        Assert.Equal(ReplicationStage.PrepareVolumes, failed.Stage);
        Assert.False(string.IsNullOrWhiteSpace(failed.Error));
        Assert.Equal(VmaDiskStatus.Failed, failed.Disks[0].Status);

        await _client.StartAsync("after-unwritable", "demo-vm-11");
        Assert.Equal(VmaJobStatus.Succeeded, (await _client.WaitFinishedAsync("after-unwritable")).Status);
    }
}

/// <summary>The agent on a fake clock: no stage delay and no cap, so jobs still run; only retention waits on the clock.</summary>
public sealed class FakeClockAgentFactory : AgentFactory
{
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2025, 9, 4, 12, 0, 0, TimeSpan.Zero));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Vma:Jobs:Retention", "01:00:00");
        builder.UseSetting("Vma:Jobs:RetentionSweepInterval", "00:01:00");
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
    }
}

public sealed class RetentionTests(FakeClockAgentFactory factory) : IClassFixture<FakeClockAgentFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task A_finished_job_stays_queryable_for_the_retention_period_then_is_dropped()
    {
        await _client.StartAsync("retained-1", "demo-vm-1");
        var done = await _client.WaitFinishedAsync("retained-1");
        Assert.Equal(VmaJobStatus.Succeeded, done.Status);
        Assert.Equal(factory.Clock.GetUtcNow(), done.CompletedAt);

        factory.Clock.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/api/v1/progress/retained-1")).StatusCode);

        factory.Clock.Advance(TimeSpan.FromMinutes(2));
        var registry = factory.Services.GetRequiredService<JobRegistry>();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (registry.Find("retained-1") is not null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/api/v1/progress/retained-1")).StatusCode);
    }
}
