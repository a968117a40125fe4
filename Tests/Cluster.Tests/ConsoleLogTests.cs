using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Migration.Contracts;
using Migration.Tests.Cluster.Infrastructure;
using Xunit.Abstractions;

namespace Migration.Tests.Cluster;

/// <summary>
/// The VMA's console as the Elastic stack reads it, on the hosts' own defaults: every line has its UTC time; in JSON
/// each line is one object whose scopes give a job's lines its JobId and CorrelationId — and not the scope of the
/// HTTP request that started the job.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed partial class ConsoleLogTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Json_lines_carry_a_timestamp_and_a_jobs_lines_carry_its_ids_not_the_requests()
    {
        var log = await RunOneJobAsync("json");
        var lines = log.Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.True(lines.Count > 10, $"{lines.Count} JSON lines");
        Assert.All(lines, l => Assert.Matches(Timestamp(), l.GetProperty("Timestamp").GetString()));

        // The acceptance is logged while the request is handled (in its scope); everything after runs as the job.
        var jobLines = lines.Where(l => l.GetProperty("Category").GetString() == "Migration.VmaAgent.Jobs.JobRunner"
            && !l.GetProperty("Message").GetString()!.StartsWith("Accepted replication job", StringComparison.Ordinal)).ToList();
        Assert.True(jobLines.Count >= 9, $"{jobLines.Count} job-runner lines");
        var correlation = JobIdentity.ToCorrelationId("log-1").ToString();
        foreach (var line in jobLines)
        {
            var scopes = line.GetProperty("Scopes").EnumerateArray().ToList();
            Assert.Contains(scopes, s => s.TryGetProperty("JobId", out var id) && id.GetString() == "log-1");
            Assert.Contains(scopes, s => s.TryGetProperty("CorrelationId", out var id) && id.GetString() == correlation);
            Assert.DoesNotContain(scopes, s => s.TryGetProperty("RequestPath", out _) || s.TryGetProperty("RequestId", out _));
        }
    }

    [Fact]
    public async Task Simple_lines_each_start_with_their_UTC_time()
    {
        var log = await RunOneJobAsync("simple");
        var lines = log.Where(l => l.Length > 0 && !l.StartsWith("====", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count > 10, $"{lines.Count} lines");
        Assert.All(lines, l => Assert.Matches(LineStart(), l));
        Assert.Contains(lines, l => l.Contains("JobRunner", StringComparison.Ordinal) && l.Contains("JobId:log-1", StringComparison.Ordinal));
    }

    private async Task<string[]> RunOneJobAsync(string formatter)
    {
        var directory = Path.Combine(HostProcess.RepositoryRoot, ".tmp", "cluster-tests", $"logs-{formatter}-{Guid.NewGuid():N}");
        var settings = new Dictionary<string, string>
        {
            ["Vma__Simulated__VmCount"] = "1",
            ["Vma__Simulated__DiskSize"] = "1MiB",
            ["Vma__Jobs__StageDelay"] = "00:00:00",
            ["Vma__Target__Directory"] = Path.Combine(directory, "targets"),
            ["Logging__Console__FormatterName"] = formatter,
        };
        // The harness sets these for the other suites; here the hosts' own defaults are under test.
        string[] harnessFormat =
        [
            "Logging__Console__FormatterOptions__TimestampFormat",
            "Logging__Console__FormatterOptions__SingleLine",
            "Logging__Console__FormatterOptions__UseUtcTimestamp",
            "Logging__Console__FormatterOptions__IncludeScopes",
        ];
        using (var vma = HostProcess.Start("vma", "VmaAgent", settings, directory, harnessFormat))
        {
            await vma.WaitReadyAsync(TimeSpan.FromSeconds(60));
            using var http = new HttpClient { BaseAddress = vma.Url, Timeout = TimeSpan.FromSeconds(10) };
            using var started = await http.PostAsJsonAsync(new Uri("/api/v1/replications", UriKind.Relative),
                new { job_id = "log-1", vm = new { name = "demo-vm-1" }, sync_type = "full" });
            Assert.Equal(System.Net.HttpStatusCode.Accepted, started.StatusCode);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            string status = "";
            while (status != "Succeeded" && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
                using var progress = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/v1/progress/log-1", UriKind.Relative)));
                status = progress.RootElement.GetProperty("status").GetString()!;
            }

            Assert.Equal("Succeeded", status);
            Assert.Equal(0, await vma.StopGracefullyAsync(TimeSpan.FromSeconds(30)));
            var log = await File.ReadAllLinesAsync(vma.LogFile);
            output.WriteLine(string.Join('\n', log.Take(12)));
            Directory.Delete(Path.Combine(directory, "targets"), recursive: true);
            return log;
        }
    }

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")]
    private static partial Regex Timestamp();

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (trce|dbug|info|warn|fail|crit): ")]
    private static partial Regex LineStart();
}
