using System.Net;
using Microsoft.AspNetCore.Hosting;

namespace Migration.Tests.VmaAgent;

/// <summary>An agent that keeps at most two jobs (Vma:Jobs:MaxRetainedJobs).</summary>
public sealed class TwoJobAgentFactory : AgentFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Vma:Jobs:MaxRetainedJobs", "2");
    }
}

public sealed class RetainedJobsTests(TwoJobAgentFactory factory) : IClassFixture<TwoJobAgentFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task At_the_limit_the_oldest_finished_job_makes_room_for_a_new_one()
    {
        await _client.StartAsync("kept-1", "demo-vm-1");
        await _client.WaitFinishedAsync("kept-1");
        await _client.StartAsync("kept-2", "demo-vm-2");
        await _client.WaitFinishedAsync("kept-2");

        var third = await _client.StartAsync("kept-3", "demo-vm-3");

        Assert.Equal(HttpStatusCode.Accepted, third.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/api/v1/progress/kept-1")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/api/v1/progress/kept-2")).StatusCode);
        await _client.WaitFinishedAsync("kept-3");
    }
}
