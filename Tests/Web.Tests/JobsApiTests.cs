using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Migration.Contracts.Status;
using Migration.Oma.Persistence;
using Migration.Tests.Support;

namespace Migration.Tests.Web;

/// <summary>The read-only OMA API over a real database (SQLite, and the PostgreSQL server ./test.sh runs).</summary>
[Collection(WebDatabaseCollection.Name)]
public sealed class JobsApiTests(TestDatabases databases)
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [ClassData(typeof(Providers))]
    public async Task Lists_jobs_newest_first_filtered_by_status_in_bounded_pages(DatabaseProvider provider)
    {
        await using var host = await ApiHost.StartAsync(await databases.FreshAsync(provider));
        var rows = host.Rows;
        await rows.InsertAsync(TestRows.Job("job-1", StatusMapping.Completed, Now.AddMinutes(-5)));
        await rows.InsertAsync(TestRows.Job("job-2", StatusMapping.Streaming, Now.AddMinutes(-4)));
        await rows.InsertAsync(TestRows.Job("job-3", StatusMapping.Failed, Now.AddMinutes(-3)));
        await rows.InsertAsync(TestRows.Job("job-4", StatusMapping.Streaming, Now.AddMinutes(-2)));
        await rows.InsertAsync(TestRows.Job("job-5", StatusMapping.Streaming, Now.AddMinutes(-1)));
        await rows.DisksAsync("job-5", Now, ("disk-0", StatusMapping.DiskSyncing, 40m, 400, 1000), ("disk-1", StatusMapping.DiskSyncing, 10m, 100, 1000));

        var all = await GetJsonAsync(host, "/api/v1/jobs");
        var streaming = await GetJsonAsync(host, "/api/v1/jobs?status=streaming&limit=2");
        var rest = await GetJsonAsync(host, "/api/v1/jobs?status=streaming&limit=2&offset=2");

        Assert.Equal(["job-5", "job-4", "job-3", "job-2", "job-1"], Ids(all));
        Assert.Equal(JsonValueKind.Null, all.GetProperty("next_offset").ValueKind);
        Assert.Equal(["job-5", "job-4"], Ids(streaming));
        Assert.Equal(2, streaming.GetProperty("next_offset").GetInt32());
        Assert.Equal(["job-2"], Ids(rest));
        Assert.Equal(JsonValueKind.Null, rest.GetProperty("next_offset").ValueKind);
        var newest = all.GetProperty("items")[0];
        Assert.Equal("vm-web-01", newest.GetProperty("vm_name").GetString());
        Assert.Equal(["disk-0", "disk-1"], newest.GetProperty("disks").EnumerateArray().Select(d => d.GetProperty("disk_id").GetString()));
        Assert.Equal(40m, newest.GetProperty("disks")[0].GetProperty("sync_progress_percent").GetDecimal());
    }

    [Theory]
    [ClassData(typeof(Providers))]
    public async Task A_job_comes_with_its_disks_stage_timeline_cbt_history_and_job_log(DatabaseProvider provider)
    {
        await using var host = await ApiHost.StartAsync(await databases.FreshAsync(provider));
        var rows = host.Rows;
        var job = TestRows.Job("done-1", StatusMapping.Completed, Now.AddMinutes(-2));
        job.CurrentOperation = "PersistChangeIDs";
        job.ProgressPercent = 100m;
        job.TotalBytes = job.BytesTransferred = 2000;
        job.CompletedAt = Now;
        await rows.InsertAsync(job);
        await rows.DisksAsync("done-1", Now, ("disk-0", StatusMapping.Completed, 100m, 1000, 1000), ("disk-1", StatusMapping.Completed, 100m, 1000, 1000));
        await rows.HistoryAsync("done-1", Now, ("disk-0", 1000, 4, true), ("disk-1", 1000, 4, true));
        await rows.LogAsync("done-1", Now.AddSeconds(-90), "stage", "Stage Discover (status preparing)");
        await rows.LogAsync("done-1", Now.AddSeconds(-80), "stage", "Stage EnableCBT (passed between polls)");
        await rows.LogAsync("done-1", Now.AddSeconds(-1), "completed", "Job completed, stopping progress polling");

        var detail = await GetJsonAsync(host, "/api/v1/jobs/done-1");

        var summary = detail.GetProperty("job");
        Assert.Equal("completed", summary.GetProperty("status").GetString());
        Assert.Equal(0, summary.GetProperty("eta_seconds").GetInt64());
        Assert.Equal(["cid-disk-0", "cid-disk-1"], summary.GetProperty("disks").EnumerateArray().Select(d => d.GetProperty("disk_change_id").GetString()));
        Assert.Equal("https://vma.example:443", detail.GetProperty("vma_url").GetString());
        Assert.Equal([("Discover", false), ("EnableCBT", true)],
            detail.GetProperty("stages").EnumerateArray().Select(s => (s.GetProperty("stage").GetString(), s.GetProperty("passed_between_polls").GetBoolean())));
        Assert.Equal([1000L, 1000L], detail.GetProperty("cbt_history").EnumerateArray().Select(h => h.GetProperty("bytes_transferred").GetInt64()));
        Assert.Equal(["stage", "stage", "completed"], detail.GetProperty("job_log").EnumerateArray().Select(e => e.GetProperty("event_kind").GetString()));
    }

    [Theory]
    [InlineData("/api/v1/jobs/a%20b", "id")]
    [InlineData("/api/v1/jobs/..%2F..%2Fetc", "id")]
    [InlineData("/api/v1/jobs/%3Cscript%3Ealert(1)%3C%2Fscript%3E", "id")]
    [InlineData("/api/v1/jobs/%C3%A4", "id")]
    [InlineData("/api/v1/jobs/x'%20OR%20'1'='1", "id")]
    [InlineData("/api/v1/jobs?status=Streaming", "status")]
    [InlineData("/api/v1/jobs?status=streaming&status=failed", "status")]
    [InlineData("/api/v1/jobs?limit=0", "limit")]
    [InlineData("/api/v1/jobs?limit=201", "limit")]
    [InlineData("/api/v1/jobs?limit=ten", "limit")]
    [InlineData("/api/v1/jobs?offset=-1", "offset")]
    [InlineData("/api/v1/jobs?offset=100001", "offset")]
    [InlineData("/api/v1/jobs?sort=id", "sort")]
    [InlineData("/api/v1/jobs/events?offset=5", "offset")]
    public async Task Hostile_ids_and_queries_are_refused_with_problem_details_naming_the_field(string path, string field)
    {
        await using var host = await ApiHost.StartAsync(await databases.FreshAsync(DatabaseProvider.Sqlite));

        using var response = await host.Client.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(field, out _), $"no error for {field}: {problem.RootElement}");
    }

    [Fact]
    public async Task An_unknown_job_and_an_overlong_id_are_problems_too()
    {
        await using var host = await ApiHost.StartAsync(await databases.FreshAsync(DatabaseProvider.Sqlite));

        using var unknown = await host.Client.GetAsync(new Uri("/api/v1/jobs/no-such-job", UriKind.Relative));
        using var overlong = await host.Client.GetAsync(new Uri("/api/v1/jobs/" + new string('a', 256), UriKind.Relative));
        using var nul = await host.Client.GetAsync(new Uri("/api/v1/jobs/x%00y", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no-such-job", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, overlong.StatusCode);
        Assert.Equal("application/problem+json", overlong.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.BadRequest, nul.StatusCode); // Kestrel itself refuses a NUL in the path, before any endpoint
    }

    [Theory]
    [ClassData(typeof(Providers))]
    public async Task A_streaming_jobs_eta_blends_its_throughput_with_the_vms_previous_sync(DatabaseProvider provider)
    {
        var clock = new FakeTimeProvider(Now);
        await using var host = await ApiHost.StartAsync(await databases.FreshAsync(provider), clock);
        var rows = host.Rows;
        const long MiB = 1 << 20;
        var before = TestRows.Job("vm-a-full", StatusMapping.Completed, Now.AddHours(-1), vmName: "vm-a");
        await rows.InsertAsync(before);
        await rows.HistoryAsync("vm-a-full", Now.AddMinutes(-50), ("disk-0", 60 * MiB, 10, true), ("disk-1", 40 * MiB, 8, true));
        var other = TestRows.Job("vm-b-full", StatusMapping.Completed, Now.AddHours(-1), vmName: "vm-b");
        await rows.InsertAsync(other);
        await rows.HistoryAsync("vm-b-full", Now.AddMinutes(-50), ("disk-0", 1 * MiB, 100, true));
        var now = TestRows.Job("vm-a-incr", StatusMapping.Streaming, Now.AddMinutes(-1), vmName: "vm-a");
        now.CurrentOperation = "Transfer";
        now.TotalBytes = 100 * MiB;
        now.BytesTransferred = 10 * MiB;
        now.TransferSpeedBps = 5 * MiB;
        now.UpdatedAt = Now;
        await rows.InsertAsync(now);
        var withVmaEstimate = TestRows.Job("vm-a-incr-2", StatusMapping.Streaming, Now.AddMinutes(-1), vmName: "vm-a");
        withVmaEstimate.TotalBytes = 100 * MiB;
        withVmaEstimate.BytesTransferred = 10 * MiB;
        withVmaEstimate.TransferSpeedBps = 5 * MiB;
        withVmaEstimate.EtaSeconds = 6;
        withVmaEstimate.UpdatedAt = Now;
        await rows.InsertAsync(withVmaEstimate);

        var detail = await GetJsonAsync(host, "/api/v1/jobs/vm-a-incr");
        var vmaBased = await GetJsonAsync(host, "/api/v1/jobs/vm-a-incr-2");
        clock.Advance(TimeSpan.FromSeconds(4));
        var later = await GetJsonAsync(host, "/api/v1/jobs/vm-a-incr");

        // 10 % done: half the previous sync's 10 MiB/s (100 MiB in 10 s), half the 5 MiB/s now: 90 MiB at 7.5 MiB/s.
        Assert.Equal(12, detail.GetProperty("job").GetProperty("eta_seconds").GetInt64());
        // The VMA's own 6 s for 90 MiB is 15 MiB/s: with the history's 10 MiB/s, 12.5 MiB/s, 7.2 s, shown as 8.
        Assert.Equal(8, vmaBased.GetProperty("job").GetProperty("eta_seconds").GetInt64());
        Assert.Equal(8, later.GetProperty("job").GetProperty("eta_seconds").GetInt64());
    }

    [Fact]
    public async Task The_openapi_document_describes_the_jobs_api_in_its_wire_names()
    {
        await using var host = await ApiHost.StartAsync(await databases.FreshAsync(DatabaseProvider.Sqlite));

        var document = await GetJsonAsync(host, "/openapi/oma.json");

        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(["/api/v1/jobs", "/api/v1/jobs/events", "/api/v1/jobs/{id}"], paths.Order());
        var summary = document.GetProperty("components").GetProperty("schemas").GetProperty("JobSummary").GetProperty("properties");
        Assert.True(summary.TryGetProperty("eta_seconds", out _));
        Assert.True(summary.TryGetProperty("vm_name", out _));
    }

    private static async Task<JsonElement> GetJsonAsync(ApiHost host, string path)
    {
        using var response = await host.Client.GetAsync(new Uri(path, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static IEnumerable<string?> Ids(JsonElement page) => page.GetProperty("items").EnumerateArray().Select(j => j.GetProperty("id").GetString());
}
