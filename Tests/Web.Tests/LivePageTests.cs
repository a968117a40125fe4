using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Migration.Cli.Embedded;
using Migration.Contracts.Status;
using Migration.Oma.Persistence;

namespace Migration.Tests.Web;

/// <summary>
/// The live page in headless Chromium against the whole system in one process (VMA, workers, scheduler, SQLite):
/// the page loads, its bars move while jobs run, and what it shows at the end is what the database holds.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class LivePageTests(BrowserFixture browser) : IAsyncLifetime
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);

    private readonly string root = Path.Combine(Path.GetTempPath(), "web-page-tests-" + Guid.NewGuid().ToString("N")[..10]);
    private EmbeddedSystem system = null!;

    /// <summary>Where the screenshots are written for people to look at (under the test output).</summary>
    public static string ScreenshotFolder { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(root);
        system = await EmbeddedSystem.StartAsync(new Dictionary<string, string?>
        {
            ["Bus:Transport"] = "InMemory",
            ["Database:Provider"] = "Sqlite",
            ["Database:ConnectionString"] = $"Data Source={Path.Combine(root, "page.db")}",
            ["Vma:Simulated:VmCount"] = "3",
            ["Vma:Simulated:DiskSize"] = "16MiB",
            ["Vma:Jobs:StageDelay"] = "00:00:00.100",
            ["Vma:Jobs:ThroughputCapPerJob"] = "2MiB",
            ["Vma:Jobs:ChunkSize"] = "64KiB",
            ["Vma:Target:Directory"] = Path.Combine(root, "targets"),
            ["Tracking:PollInterval"] = "00:00:00.300",
            ["Tracking:WriteMinInterval"] = "00:00:00.300",
            ["Tracking:PollStaleAfter"] = "00:00:02",
            ["Tracking:ContactTimeout"] = "00:01:00",
            ["Web:PushInterval"] = "00:00:00.300",
        });
    }

    [Fact]
    public async Task The_page_shows_jobs_live_with_moving_bars_and_ends_as_the_database_says()
    {
        var run = DateTimeOffset.UtcNow.ToString("HHmmss", CultureInfo.InvariantCulture);
        var hostile = await InsertHostileJobAsync(run);
        var page = await browser.Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1500, Height = 720 } });
        var scriptErrors = new List<string>();
        page.PageError += (_, error) => scriptErrors.Add(error);
        await page.GotoAsync(system.VmaUrl.ToString());
        await page.Locator("#connection[data-state='live']").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        await page.Locator($"tr[data-job-id='{hostile.JobId}']").WaitForAsync();

        var jobIds = system.Inventory.Vms.Select(vm => $"{vm.Name}-full-{run}").ToList();
        foreach (var (jobId, vm) in jobIds.Zip(system.Inventory.Vms.Select(v => v.Name)))
        {
            await system.StartReplicationAsync(jobId, vm, SyncType.Full);
        }

        // The largest VM's bar, sampled while it runs: it moves through values between 0 and 100, never backwards.
        var watched = jobIds[^1];
        var bar = page.Locator($"tr[data-job-id='{watched}'] .bar.job");
        var seen = new List<double>();
        var screenshotTaken = false;
        using var timeout = new CancellationTokenSource(RunTimeout);
        while (!timeout.IsCancellationRequested)
        {
            if (await bar.CountAsync() == 1)
            {
                var percent = double.Parse(await bar.GetAttributeAsync("data-percent") ?? "0", CultureInfo.InvariantCulture);
                if (seen.Count == 0 || seen[^1] != percent)
                {
                    seen.Add(percent);
                }

                if (!screenshotTaken && percent is > 30 and < 80)
                {
                    await page.Locator($"tr[data-job-id='{watched}']").ClickAsync();
                    await page.Locator("#timeline li").First.WaitForAsync();
                    Directory.CreateDirectory(ScreenshotFolder);
                    await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, "web-view.png"), FullPage = true });
                    screenshotTaken = true;
                }

                if (percent >= 100 && await page.Locator($"tr[data-job-id='{watched}']").GetAttributeAsync("data-status") == StatusMapping.Completed)
                {
                    break;
                }
            }

            await Task.Delay(100, timeout.Token);
        }

        var jobs = await system.WaitForJobsAsync(jobIds, RunTimeout);
        Assert.All(jobs, job => Assert.Equal(StatusMapping.Completed, job.Status));
        Assert.True(seen.Count(p => p is > 0 and < 100) >= 2, $"the bar did not move through the run: {string.Join(", ", seen)}");
        Assert.Equal(seen.Order(), seen);
        Assert.True(screenshotTaken, "no moment between 30 % and 80 % to take the screenshot");

        // Once the stream has delivered the last writes, every row and disk bar says what the database says.
        foreach (var job in jobs)
        {
            var row = page.Locator($"tr[data-job-id='{job.Id}']");
            await Assertions.Expect(row).ToHaveAttributeAsync("data-version", job.Version.ToString(CultureInfo.InvariantCulture), new() { Timeout = 15_000 });
            Assert.Equal(job.Status, await row.Locator(".status").TextContentAsync());
            Assert.Equal(job.CurrentOperation, await row.Locator(".stage").TextContentAsync());
            Assert.Equal((double)job.ProgressPercent, double.Parse(await row.Locator(".bar.job").GetAttributeAsync("data-percent") ?? "", CultureInfo.InvariantCulture));
            var disks = await system.Queries.GetDisksAsync(job.Id, CancellationToken.None);
            var diskPercents = await row.Locator(".bar.disk").EvaluateAllAsync<double[]>("bars => bars.map(b => Number(b.dataset.percent))");
            Assert.Equal(disks.Select(d => (double)d.SyncProgressPercent), diskPercents);
            Assert.Equal("0", await row.Locator(".eta").GetAttributeAsync("data-eta"));
        }

        // Names and errors from the database are text, never markup: nothing the hostile row carries ran or rendered.
        var hostileRow = page.Locator($"tr[data-job-id='{hostile.JobId}']");
        Assert.Equal(hostile.VmName, await hostileRow.Locator("td").Nth(1).TextContentAsync());
        Assert.Equal(hostile.ErrorMessage, await hostileRow.Locator(".error").TextContentAsync());
        Assert.Equal(0, await page.Locator("#jobs img, #jobs script").CountAsync());
        Assert.Null(await page.EvaluateAsync<string?>("() => window.__hostile ?? null"));
        Assert.Empty(scriptErrors);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, "web-view-final.png"), FullPage = true });
        await page.CloseAsync();
    }

    /// <summary>A failed job whose VM name and error try to become markup (as a hostile vCenter or VMA could make them).</summary>
    private async Task<Migration.OmaWorkers.Saga.ReplicationState> InsertHostileJobAsync(string run)
    {
        var job = TestRows.Job($"hostile-{run}", StatusMapping.Failed, DateTimeOffset.UtcNow.AddMinutes(-1),
            vmName: "<img src=x onerror=\"window.__hostile='vm'\">");
        job.ErrorMessage = "<script>window.__hostile='error'</script> & \"quotes\" 'too'";
        job.CurrentOperation = "Snapshot";
        job.CompletedAt = DateTimeOffset.UtcNow;
        return await new TestRows(system.Services).InsertAsync(job);
    }

    public async Task DisposeAsync()
    {
        await system.DisposeAsync();
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a closing pool is left to the temporary folder's cleaner.
        }
    }
}
