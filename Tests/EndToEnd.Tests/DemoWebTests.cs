using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Migration.Tests.Support;

namespace Migration.Tests.EndToEnd;

/// <summary><c>demo --web</c> as a person runs it: it prints the live view's address, and the page and API answer there.</summary>
public sealed class DemoWebTests : IDisposable
{
    private const string LiveViewPrefix = "Live view: ";

    private readonly string _root = Path.Combine(Path.GetTempPath(), "demo-web-" + Guid.NewGuid().ToString("N"));

    public DemoWebTests() => Directory.CreateDirectory(_root);

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
    public async Task Demo_with_web_prints_the_live_view_address_and_serves_the_page_and_the_jobs_there()
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = _root, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "migration.dll"));
        foreach (var argument in new[] { "demo", "--web", "--vms", "2", "--disk-size", "32MiB", "--db", Path.Combine(_root, "demo.db"), "--timeout-minutes", "3" })
        {
            start.ArgumentList.Add(argument);
        }

        using var demo = Process.Start(start)!;
        var stderr = demo.StandardError.ReadToEndAsync();
        try
        {
            var url = await LiveViewUrlAsync(demo.StandardOutput, TimeSpan.FromSeconds(90));
            var rest = demo.StandardOutput.ReadToEndAsync();
            using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(10) };

            using var page = await http.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);

            // The demo publishes its jobs right after printing the address: the API lists them while they run.
            var listed = 0;
            for (var attempt = 0; attempt < 100 && listed < 2; attempt++)
            {
                using var jobs = JsonDocument.Parse(await http.GetStringAsync("/api/v1/jobs"));
                listed = JobCount(jobs.RootElement);
                await Task.Delay(100);
            }

            Assert.True(listed >= 2, $"the API listed {listed} jobs while the demo ran");
            using var exited = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await demo.WaitForExitAsync(exited.Token);
            Assert.True(demo.ExitCode == 0, $"exit {demo.ExitCode}; stderr: {await stderr}; stdout: {await rest}");
        }
        finally
        {
            demo.KillTree();
        }
    }

    private static int JobCount(JsonElement page) => page.GetProperty("items").GetArrayLength();

    private static async Task<Uri> LiveViewUrlAsync(StreamReader output, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (await output.ReadLineAsync(cancel.Token) is { } line)
        {
            var at = line.IndexOf(LiveViewPrefix, StringComparison.Ordinal);
            if (at >= 0)
            {
                return new Uri(line[(at + LiveViewPrefix.Length)..].Split(' ')[0]);
            }
        }

        throw new InvalidOperationException("the demo ended without printing its live view address");
    }
}
