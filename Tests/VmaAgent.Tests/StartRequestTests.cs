using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Migration.Contracts.Status;
using Migration.VmaAgent.Jobs;

namespace Migration.Tests.VmaAgent;

public sealed class StartRequestTests(FastAgentFactory factory) : IClassFixture<FastAgentFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task Start_returns_202_with_the_progress_location()
    {
        var response = await _client.StartAsync("start-1", "demo-vm-1");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("/api/v1/progress/start-1", response.Headers.Location?.OriginalString);
        var progress = await _client.WaitFinishedAsync("start-1");
        Assert.Equal(VmaJobStatus.Succeeded, progress.Status);
        Assert.Equal("demo-vm-1", progress.VmName);
    }

    [Fact]
    public async Task The_same_body_again_returns_202_and_starts_no_second_job()
    {
        const string body = """{"job_id":"same-1","vm":{"name":"demo-vm-2"},"sync_type":"full"}""";
        var first = await _client.StartAsync(body);
        var firstJob = factory.Services.GetRequiredService<JobRegistry>().Find("same-1");
        await _client.WaitFinishedAsync("same-1");

        var again = await _client.StartAsync("""{ "sync_type": "full", "vm": {"name": "demo-vm-2"}, "job_id": "same-1" }""");

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        Assert.Equal("/api/v1/progress/same-1", again.Headers.Location?.OriginalString);
        Assert.Same(firstJob, factory.Services.GetRequiredService<JobRegistry>().Find("same-1"));
        var progress = await _client.ProgressAsync("same-1");
        Assert.Equal(VmaJobStatus.Succeeded, progress.Status);
    }

    [Fact]
    public async Task A_different_body_for_an_existing_id_returns_409()
    {
        await _client.StartAsync("conflict-1", "demo-vm-1");

        var response = await _client.StartAsync("conflict-1", "demo-vm-2");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("job_id", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("malformed JSON", """{"job_id": "bad-1", "vm": {"name": "demo-vm-1"}""", "body")]
    [InlineData("empty body", "", "body")]
    [InlineData("not an object", "[1,2]", "body")]
    [InlineData("unknown top-level field", """{"job_id":"bad-1","vm":{"name":"demo-vm-1"},"priority":1}""", "priority")]
    [InlineData("unknown vm field", """{"job_id":"bad-1","vm":{"nme":"demo-vm-1"}}""", "vm.nme")]
    [InlineData("job_id missing", """{"vm":{"name":"demo-vm-1"}}""", "job_id")]
    [InlineData("job_id with a space", """{"job_id":"bad 1","vm":{"name":"demo-vm-1"}}""", "job_id")]
    [InlineData("job_id not a string", """{"job_id":12,"vm":{"name":"demo-vm-1"}}""", "job_id")]
    [InlineData("vm missing", """{"job_id":"bad-1"}""", "vm")]
    [InlineData("vm with two keys", """{"job_id":"bad-1","vm":{"name":"demo-vm-1","uuid":"x"}}""", "vm")]
    [InlineData("vm empty name", """{"job_id":"bad-1","vm":{"name":" "}}""", "vm")]
    [InlineData("sync_type unknown", """{"job_id":"bad-1","vm":{"name":"demo-vm-1"},"sync_type":"sometimes"}""", "sync_type")]
    [InlineData("incremental without change ids", """{"job_id":"bad-1","vm":{"name":"demo-vm-1"},"sync_type":"incremental"}""", "previous_change_ids")]
    [InlineData("change id without sequence", """{"job_id":"bad-1","vm":{"name":"demo-vm-1"},"previous_change_ids":{"disk-0":"6dfb5538-bf83-408a-a15e-3f549a234179"}}""", "previous_change_ids.disk-0")]
    [InlineData("change id not a uuid", """{"job_id":"bad-1","vm":{"name":"demo-vm-1"},"previous_change_ids":{"disk-0":"abc/1"}}""", "previous_change_ids.disk-0")]
    [InlineData("target nbd+unix uri without socket", """{"job_id":"bad-1","vm":{"name":"demo-vm-1"},"target":{"disks":{"disk-0":{"uri":"nbd+unix:///x"}}}}""", "target.disks.disk-0.uri")]
    [InlineData("bandwidth limit zero", """{"job_id":"bad-1","vm":{"name":"demo-vm-1"},"bandwidth_limit_bps":0}""", "bandwidth_limit_bps")]
    [InlineData("target http uri", """{"job_id":"bad-1","vm":{"name":"demo-vm-1"},"target":{"disks":{"disk-0":{"uri":"http://example/x.img"}}}}""", "target.disks.disk-0.uri")]
    [InlineData("target relative path", """{"job_id":"bad-1","vm":{"name":"demo-vm-1"},"target":{"disks":{"disk-0":{"uri":"images/x.img"}}}}""", "target.disks.disk-0.uri")]
    [InlineData("target without disks", """{"job_id":"bad-1","vm":{"name":"demo-vm-1"},"target":{"disks":{}}}""", "target.disks")]
    public async Task An_invalid_field_returns_400_problem_naming_it(string why, string body, string field)
    {
        var response = await _client.StartAsync(body);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, why);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var errors = problem.RootElement.GetProperty("errors").EnumerateObject().Select(p => p.Name).ToList();
        Assert.True(errors.Contains(field), $"{why}: expected an error on '{field}', got [{string.Join(", ", errors)}]");
        Assert.Null(factory.Services.GetRequiredService<JobRegistry>().Find("bad-1"));
    }

    [Fact]
    public async Task An_unknown_vm_returns_400_naming_vm()
    {
        var response = await _client.StartAsync("unknown-vm-1", "no-such-vm");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty("vm", out _));
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/api/v1/progress/unknown-vm-1")).StatusCode);
    }

    [Fact]
    public async Task Progress_of_an_unknown_job_is_404_problem()
    {
        var response = await _client.GetAsync("/api/v1/progress/never-started");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Cancelling_an_unknown_job_is_404_problem()
    {
        var response = await _client.DeleteAsync("/api/v1/replications/never-started");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Cancelling_a_finished_job_is_409_and_leaves_it_succeeded()
    {
        await _client.StartAsync("finished-1", "demo-vm-1");
        await _client.WaitFinishedAsync("finished-1");

        var response = await _client.DeleteAsync("/api/v1/replications/finished-1");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal(VmaJobStatus.Succeeded, (await _client.ProgressAsync("finished-1")).Status);
    }

    [Fact]
    public async Task A_target_naming_a_disk_the_vm_lacks_is_refused_naming_the_field()
    {
        var uri = new Uri(Path.Combine(factory.TargetDirectory, "elsewhere", "x.img")).AbsoluteUri;
        var response = await _client.StartAsync(
            """{"job_id":"target-1","vm":{"name":"demo-vm-1"},"target":{"disks":{"disk-7":{"uri":"URI"}}}}""".Replace("URI", uri, StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("target.disks.disk-7", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/api/v1/progress/target-1")).StatusCode);
    }

    [Fact]
    public async Task Health_and_metrics_endpoints_answer()
    {
        await _client.StartAsync("metrics-1", "demo-vm-1");
        await _client.WaitFinishedAsync("metrics-1");

        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/health/ready")).StatusCode);
        var metrics = await _client.GetStringAsync("/metrics");
        Assert.Contains("vma_jobs_started_total", metrics, StringComparison.Ordinal);
        Assert.Contains("vma_jobs_succeeded_total", metrics, StringComparison.Ordinal);
        Assert.Contains("vma_bytes_transferred", metrics, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration", metrics, StringComparison.Ordinal);
    }
}
