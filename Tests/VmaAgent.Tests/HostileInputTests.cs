using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Migration.VmaAgent.Jobs;

namespace Migration.Tests.VmaAgent;

/// <summary>Requests a hostile caller sends: each is refused with a problem document naming the API field, and nothing is written.</summary>
public sealed class HostileInputTests(FastAgentFactory factory) : IClassFixture<FastAgentFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private JobRegistry Jobs => factory.Services.GetRequiredService<JobRegistry>();

    private static string StartBody(string jobId, string diskId, string uri) =>
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["job_id"] = jobId,
            ["vm"] = new Dictionary<string, string> { ["name"] = "demo-vm-1" },
            ["target"] = new Dictionary<string, object> { ["disks"] = new Dictionary<string, object> { [diskId] = new Dictionary<string, string> { ["uri"] = uri } } },
        });

    private async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("Migration.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", text, StringComparison.Ordinal);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static void AssertNamesField(JsonElement problem, string field) =>
        Assert.True(problem.TryGetProperty("errors", out var errors) && errors.TryGetProperty(field, out _), $"no error for {field} in {problem}");

    [Fact]
    public async Task A_target_outside_the_allowed_roots_is_refused_and_the_file_is_untouched()
    {
        var before = await File.ReadAllBytesAsync("/etc/passwd");

        var response = await _client.StartAsync(StartBody("outside-1", "disk-0", "file:///etc/passwd"));

        AssertNamesField(await AssertProblemAsync(response, HttpStatusCode.BadRequest), "target.disks.disk-0.uri");
        Assert.Null(Jobs.Find("outside-1"));
        Assert.Equal(before, await File.ReadAllBytesAsync("/etc/passwd"));
    }

    [Fact]
    public async Task A_target_that_climbs_out_with_dot_dot_is_refused()
    {
        Directory.CreateDirectory(factory.TargetDirectory);
        var escape = $"file://{factory.TargetDirectory}/../{Path.GetFileName(factory.TargetDirectory)}-escaped.img";
        var encoded = $"file://{factory.TargetDirectory}/%2e%2e/{Path.GetFileName(factory.TargetDirectory)}-escaped2.img";

        var plain = await _client.StartAsync(StartBody("dotdot-1", "disk-0", escape));
        var hidden = await _client.StartAsync(StartBody("dotdot-2", "disk-0", encoded));

        AssertNamesField(await AssertProblemAsync(plain, HttpStatusCode.BadRequest), "target.disks.disk-0.uri");
        AssertNamesField(await AssertProblemAsync(hidden, HttpStatusCode.BadRequest), "target.disks.disk-0.uri");
        Assert.False(File.Exists(factory.TargetDirectory + "-escaped.img"));
        Assert.False(File.Exists(factory.TargetDirectory + "-escaped2.img"));
    }

    [Fact]
    public async Task A_symlink_leading_out_of_the_root_is_refused_and_nothing_is_written_behind_it()
    {
        var outside = Directory.CreateTempSubdirectory("vma-outside-");
        try
        {
            Directory.CreateDirectory(factory.TargetDirectory);
            var link = Path.Combine(factory.TargetDirectory, "link-" + Guid.NewGuid().ToString("N"));
            Directory.CreateSymbolicLink(link, outside.FullName);

            var response = await _client.StartAsync(StartBody("symlink-1", "disk-0", new Uri(Path.Combine(link, "disk.img")).AbsoluteUri));

            AssertNamesField(await AssertProblemAsync(response, HttpStatusCode.BadRequest), "target.disks.disk-0.uri");
            Assert.Empty(outside.GetFileSystemInfos());
        }
        finally
        {
            outside.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("file:///dev/sda")]
    [InlineData("file:///dev/null")]
    [InlineData("file:///proc/self/mem")]
    public async Task Device_files_are_refused(string uri)
    {
        var response = await _client.StartAsync(StartBody("device-1", "disk-0", uri));

        AssertNamesField(await AssertProblemAsync(response, HttpStatusCode.BadRequest), "target.disks.disk-0.uri");
        Assert.Null(Jobs.Find("device-1"));
    }

    [Fact]
    public async Task A_target_inside_the_root_is_still_accepted()
    {
        var response = await _client.StartAsync(StartBody("inside-1", "disk-0", new Uri(Path.Combine(factory.TargetDirectory, "custom", "d0.img")).AbsoluteUri));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await _client.WaitFinishedAsync("inside-1");
        Assert.True(File.Exists(Path.Combine(factory.TargetDirectory, "custom", "d0.img")));
    }

    [Fact]
    public async Task A_body_over_64_KiB_is_refused_with_413()
    {
        var padding = new string(' ', 1024 * 1024);
        var response = await _client.StartAsync("{\"job_id\":\"big-1\"," + padding + "\"vm\":{\"name\":\"demo-vm-1\"}}");

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Null(Jobs.Find("big-1"));
    }

    [Fact]
    public async Task Deeply_nested_JSON_is_refused_with_400()
    {
        var deep = new string('[', 1000) + new string(']', 1000);
        var response = await _client.StartAsync("""{"job_id":"deep-1","vm":{"name":"demo-vm-1"},"target":""" + deep + "}");

        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_body_that_is_not_JSON_is_refused_with_415()
    {
        var response = await _client.PostAsync("/api/v1/replications",
            new StringContent("""{"job_id":"plain-text-1","vm":{"name":"demo-vm-1"}}""", Encoding.UTF8, "text/plain"));

        await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
        Assert.Null(Jobs.Find("plain-text-1"));
    }

    [Theory]
    [InlineData("""{"job_id":"dup-1","job_id":"dup-2","vm":{"name":"demo-vm-1"}}""", "job_id")]
    [InlineData("""{"job_id":"dup-3","vm":{"name":"demo-vm-1","name":"demo-vm-2"}}""", "vm.name")]
    [InlineData("""{"job_id":"enum-1","vm":{"name":"demo-vm-1"},"sync_type":1}""", "sync_type")]
    [InlineData("""{"job_id":"enum-2","vm":{"name":"demo-vm-1"},"sync_type":"1"}""", "sync_type")]
    [InlineData("""{"job_id":"enum-3","vm":{"name":"demo-vm-1"},"sync_type":" full"}""", "sync_type")]
    [InlineData("""{"job_id":"enum-4","vm":{"name":"demo-vm-1"},"sync_type":"Full"}""", "sync_type")]
    [InlineData("""{"job_id":".","vm":{"name":"demo-vm-1"}}""", "job_id")]
    [InlineData("""{"job_id":"..","vm":{"name":"demo-vm-1"}}""", "job_id")]
    [InlineData("""{"job_id":"a/b","vm":{"name":"demo-vm-1"}}""", "job_id")]
    [InlineData("""{"job_id":"nulls-1","vm":{"name":"demo-vm-1"},"target":{"disks":{"disk-0":null}}}""", "target.disks.disk-0.uri")]
    [InlineData("""{"job_id":"nulls-2","vm":{"name":"demo-vm-1"},"target":{"disks":null}}""", "target.disks")]
    [InlineData("""{"job_id":"nulls-3","vm":null}""", "vm")]
    [InlineData("""{"job_id":"unknown-disk-1","vm":{"name":"demo-vm-1"},"previous_change_ids":{"disk-9":"52aa0000000000000000000000000000/1"}}""", "previous_change_ids.disk-9")]
    public async Task Strict_parsing_refuses_what_it_would_otherwise_guess(string body, string field)
    {
        var response = await _client.StartAsync(body);

        AssertNamesField(await AssertProblemAsync(response, HttpStatusCode.BadRequest), field);
    }

    [Fact]
    public async Task Previous_change_ids_are_capped()
    {
        var ids = Enumerable.Range(0, 65).ToDictionary(i => $"disk-{i}", _ => "52aa0000000000000000000000000000/1");
        var response = await _client.StartAsync("cap-1", "demo-vm-1", ids);

        AssertNamesField(await AssertProblemAsync(response, HttpStatusCode.BadRequest), "previous_change_ids");
    }

    [Fact]
    public async Task Control_characters_in_disk_keys_and_paths_come_back_escaped_never_raw()
    {
        var key = await _client.StartAsync(StartBody("ctl-1", "disk-0\n[FAKE] forged line\u001b[31m", "file:///tmp/x.img"));
        var path = await _client.StartAsync(StartBody("ctl-2", "disk-0", $"file://{factory.TargetDirectory}/a%0Ab.img"));

        var keyProblem = await AssertProblemAsync(key, HttpStatusCode.BadRequest);
        var pathProblem = await AssertProblemAsync(path, HttpStatusCode.BadRequest);
        AssertNamesField(pathProblem, "target.disks.disk-0.uri");
        foreach (var text in new[] { keyProblem.ToString(), pathProblem.ToString() })
        {
            Assert.DoesNotContain('\n', text);
            Assert.DoesNotContain('\u001b', text);
        }

        Assert.Contains(@"disk-0\n[FAKE]", keyProblem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_job_keeps_a_digest_of_its_request_not_the_body()
    {
        await _client.StartAsync("digest-1", "demo-vm-1");

        Assert.Matches("^[0-9A-F]{64}$", Jobs.Find("digest-1")!.Fingerprint);
    }
}
