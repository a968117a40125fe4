using System.Globalization;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Migration.Contracts.Progress;
using Migration.Contracts.Status;
using Migration.VmaAgent.Configuration;
using Migration.VmaAgent.Sources;
using Xunit.Abstractions;

namespace Migration.Tests.Nbd;

/// <summary>
/// A VMA process SIGKILLed (a crash) or SIGTERMed (a graceful stop, as on a rolling update) in the middle of a transfer
/// to a real nbdkit export and started again takes the job up from its journal: the job completes, the target equals
/// the source, only what was left is written again, and the progress an OMA polls never goes backwards.
/// </summary>
public sealed partial class ResumeAfterKillTests(ITestOutputHelper output)
{
    private const long CapBytesPerSecond = 8 << 20;
    private static readonly TimeSpan CheckpointInterval = TimeSpan.FromMilliseconds(250);
    private const int ChunkBytes = 256 << 10;
    private const int RequestsInFlight = 4;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Stopped_vma_resumes_the_job_from_its_journal(bool graceful)
    {
        var directory = NbdServer.NewDirectory();
        var image = Path.Combine(directory, "target.img");
        var settings = new Dictionary<string, string>
        {
            ["Vma:Simulated:VmCount"] = "1",
            ["Vma:Simulated:DiskSize"] = "48MiB",
            ["Vma:Jobs:StageDelay"] = "00:00:00",
            ["Vma:Jobs:ThroughputCapPerJob"] = CapBytesPerSecond.ToString(CultureInfo.InvariantCulture),
            ["Vma:Jobs:ChunkSize"] = ChunkBytes.ToString(CultureInfo.InvariantCulture),
            ["Vma:Jobs:RequestsInFlight"] = RequestsInFlight.ToString(CultureInfo.InvariantCulture),
            // A graceful stop must write its own checkpoint: no periodic one would come in time to make the resume point.
            ["Vma:Jobs:CheckpointInterval"] = (graceful ? TimeSpan.FromHours(1) : CheckpointInterval).ToString("c", CultureInfo.InvariantCulture),
            ["Vma:Target:Directory"] = Path.Combine(directory, "targets"),
            ["Logging:LogLevel:Default"] = "Information",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        };
        using (var file = File.Create(image))
        {
            file.SetLength(48 << 20);
        }

        var requests = Path.Combine(directory, "requests.log");
        await using var target = await NbdServer.NbdkitAsync("--filter=log", "file", "file=" + image, "logfile=" + requests);
        settings["Vma:Target:AllowedNbdHosts:0"] = "unix:" + target.Directory;
        var log = Path.Combine(directory, "vma.log");
        var observed = new List<long>();
        var first = await VmaProcess.StartAsync(settings, log);
        await using (first)
        {
            using var http = new HttpClient { BaseAddress = first.Url };
            await http.StartAsync("resume-1", "demo-vm-1", new Dictionary<string, Uri> { ["disk-0"] = target.Uri });
            // Killed once about a third is done: well after the first checkpoints, well before the end.
            var before = await PollAsync(http, observed, p => (p.Status == VmaJobStatus.Streaming && p.Aggregate.TotalBytes > 0 && p.Aggregate.BytesTransferred * 3 >= p.Aggregate.TotalBytes) || StatusMapping.IsTerminal(p.Status));
            Assert.Equal(VmaJobStatus.Streaming, before.Status);
            if (graceful)
            {
                Assert.Equal(0, await first.StopAsync());
                Assert.Contains("Job suspended during Transfer by the VMA stopping", File.ReadAllText(log), StringComparison.Ordinal);
                Assert.Single(Directory.GetFiles(Path.Combine(directory, "targets", ".journal"), "*.json"));
            }
            else
            {
                await first.KillAsync();
            }
        }

        var leftAtKill = observed[^1];
        var writtenBeforeRestart = File.ReadAllText(requests).Length;
        await using var second = await VmaProcess.StartAsync(settings, log, first.Url.Port);
        using var again = new HttpClient { BaseAddress = second.Url };
        var done = await PollAsync(again, observed, p => StatusMapping.IsTerminal(p.Status));
        Assert.True(done.Status == VmaJobStatus.Succeeded, done.Error + "\n" + File.ReadAllText(log));
        var planned = done.Aggregate.TotalBytes;
        Assert.Equal(planned, done.Aggregate.BytesTransferred);

        // The OMA's view: every polled value, across the kill and the restart, is at least the one before it.
        for (var i = 1; i < observed.Count; i++)
        {
            Assert.True(observed[i] >= observed[i - 1], $"bytes_transferred went from {observed[i - 1]} to {observed[i]} (poll {i})");
        }

        Assert.Contains(done.Notes ?? [], n => n.Kind == "resume" && n.Message.Contains("resumed after a VMA restart", StringComparison.Ordinal));

        // What the target's server was asked to write after the restart ≈ what was left at the kill. The journal is behind
        // by the bytes since the last checkpoint began: one interval plus the checkpoint's own flush and journal write
        // (on a loaded 2-core machine the flush alone can take another interval), plus the requests in flight.
        var movedAfterRestart = WrittenBytes(File.ReadAllText(requests)[writtenBeforeRestart..]);
        var left = planned - leftAtKill;
        // After a graceful stop the resume point is where the drain ended, not the last periodic checkpoint: the slack is the
        // requests after the first unfinished one, plus what moved between the last poll and the stop taking effect.
        var tolerance = graceful
            ? CapBytesPerSecond / 2 + 2 * RequestsInFlight * ChunkBytes
            : (long)(CapBytesPerSecond * CheckpointInterval.TotalSeconds * 2) + RequestsInFlight * ChunkBytes;
        output.WriteLine($"planned {planned}, shown at the kill {leftAtKill}, left {left}, written after the restart {movedAfterRestart}, {observed.Count} polls");
        Assert.True(Math.Abs(movedAfterRestart - left) <= tolerance,
            $"{movedAfterRestart} bytes written after the restart, {left} were left of {planned} (tolerance {tolerance})");

        var source = Path.Combine(directory, "source.img");
        var options = new VmaOptions { Simulated = { VmCount = 1, DiskSize = ByteSize.FromMebibytes(48) } };
        await File.WriteAllBytesAsync(source, new SimulatedInventory(Options.Create(options)).ReadDisk("demo-vm-1", "disk-0"));
        await Tools.CmpAsync(source, await Tools.DumpAsync(target.LibnbdUri, directory));
        Assert.Empty(Directory.GetFiles(Path.Combine(directory, "targets", ".journal")));
    }

    private static async Task<ReplicationProgress> PollAsync(HttpClient http, List<long> observed, Func<ReplicationProgress, bool> until)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var progress = await http.GetFromJsonAsync("/api/v1/progress/resume-1", ProgressJsonContext.Default.ReplicationProgress);
            observed.Add(progress!.Aggregate.BytesTransferred);
            if (until(progress))
            {
                return progress;
            }

            if (clock.Elapsed > TimeSpan.FromSeconds(90))
            {
                throw new TimeoutException($"job stayed {progress.Status} in {progress.Stage} at {progress.Aggregate.BytesTransferred} bytes");
            }

            await Task.Delay(50);
        }
    }

    private static long WrittenBytes(string requestLog) =>
        RequestLine().Matches(requestLog).Sum(m => long.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"connection=\d+ (?:Write|Zero) id=\d+ offset=0x[0-9a-f]+ count=0x([0-9a-f]+)")]
    private static partial Regex RequestLine();
}
