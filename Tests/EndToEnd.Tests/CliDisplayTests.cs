using Migration.Cli.Commands;
using Migration.Cli.Display;
using Migration.Contracts.Status;
using Migration.Oma.Persistence;
using Spectre.Console.Rendering;
using Spectre.Console.Testing;

namespace Migration.Tests.EndToEnd;

/// <summary>The live board, the demo's summary and the history table as a person sees them at 80 and 140 columns.</summary>
public sealed class CliDisplayTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 1, 0, 0, TimeSpan.Zero);

    private static JobView Job(string id, string status, decimal percent, long moved, long total, long bps, DateTimeOffset? contact, bool done = false) => new()
    {
        Id = id,
        Status = status,
        VmName = id[..9],
        SyncType = id.Contains("-incr-", StringComparison.Ordinal) ? "incremental" : "full",
        CurrentOperation = done ? "PersistChangeIDs" : "StreamDisks",
        ProgressPercent = percent,
        BytesTransferred = moved,
        TotalBytes = total,
        TransferSpeedBps = bps,
        CreatedAt = Now.AddSeconds(-30),
        StartedAt = Now.AddSeconds(-20),
        UpdatedAt = done ? Now.AddSeconds(-2) : Now,
        CompletedAt = done ? Now.AddSeconds(-2) : null,
        LastContactAt = contact,
    };

    private static DiskRow Disk(string jobId, string diskId, decimal percent, long moved, long planned) => new()
    {
        JobId = jobId, DiskId = diskId, SyncStatus = percent >= 100 ? StatusMapping.Completed : "syncing",
        SyncProgressPercent = percent, BytesSynced = moved, PlannedBytes = planned, UpdatedAt = Now,
    };

    private static IReadOnlyList<JobSnapshot> Snapshots() =>
    [
        new(Job("demo-vm-1-incr-012345", StatusMapping.Streaming, 62.5m, 40L << 20, 64L << 20, 12L << 20, Now.AddSeconds(-1)),
            [Disk("demo-vm-1-incr-012345", "disk-2000", 70m, 22L << 20, 32L << 20), Disk("demo-vm-1-incr-012345", "disk-2001", 55m, 18L << 20, 32L << 20)]),
        new(Job("demo-vm-2-incr-012345", StatusMapping.Completed, 100m, 64L << 20, 64L << 20, 0, Now.AddSeconds(-2), done: true),
            [Disk("demo-vm-2-incr-012345", "disk-2000", 100m, 64L << 20, 64L << 20)]),
        new(Job("demo-vm-3-full-012345", StatusMapping.Streaming, 10m, 6L << 20, 64L << 20, 1L << 20, Now.AddMinutes(-2)), []),
    ];

    private static string[] Render(IRenderable renderable, int width)
    {
        var console = new TestConsole().Width(width);
        console.Write(renderable);
        return console.Output.Split('\n');
    }

    private static void AssertFits(string[] lines, int width, params string[] whole)
    {
        Assert.All(lines, line => Assert.True(line.TrimEnd('\r').Length <= width, $"{line.Length} > {width}: {line}"));
        foreach (var word in whole)
        {
            Assert.True(lines.Any(l => l.Contains(word, StringComparison.Ordinal)), $"'{word}' is not whole on any line:\n{string.Join('\n', lines)}");
        }
    }

    [Theory]
    [InlineData(80)]
    [InlineData(140)]
    public void The_live_board_fits_the_width_with_bars_per_disk_eta_rates_and_contact_age(int width)
    {
        var lines = Render(JobBoard.Render(Snapshots(), Now, width), width);

        AssertFits(lines, width, "demo-vm-1-incr-012345", "incremental", "streaming", "100.0%", "62.5%", "disk-2000", "disk-2001",
            "ETA 2.0 s", "elapsed 20 s", "contact 1.0 s ago", "avg 3.6 MiB/s", "silent", "not heard from");
        // A finished job shows its average rate, not the last reported 0 B/s.
        Assert.DoesNotContain(lines, l => l.Contains("0 B/s", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("took 18 s", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("demo-vm-3-full-012345", StringComparison.Ordinal) && l.Contains("ETA", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(80)]
    [InlineData(140)]
    public void The_demo_summary_fits_the_width_and_shows_average_rates(int width)
    {
        var jobs = Snapshots().Select(s => s.Job with { Status = StatusMapping.Completed, CompletedAt = Now, ProgressPercent = 100 }).ToList();
        var lines = Render(JobTable.Summary(jobs, jobs.ToDictionary(j => j.Id, _ => 2)), width);
        AssertFits(lines, width, "demo-vm-1-incr-012345", "demo-vm-3-full-012345", "incremental", "completed", "Avg rate", "2 MiB/s");
    }

    [Fact]
    public void The_history_table_fits_80_columns_with_whole_words()
    {
        var rows = Enumerable.Range(0, 3).Select(i => new CbtHistoryRow
        {
            JobId = $"demo-vm-{i}-incr-012345", DiskId = "disk-2000", SyncType = "incremental", ChangeId = "52 3f 11 aa/42", PreviousChangeId = "52 3f 11 aa/41",
            BytesTransferred = 64L << 20, SyncDurationSeconds = 12, SyncSuccess = true, CreatedAt = Now,
        });
        var lines = Render(HistoryCommand.Table("Recent CBT history", rows, 80), 80);
        AssertFits(lines, 80, "demo-vm-1-incr-012345", "incremental", "Took", "12 s", "2026-12-02 01:00");
    }

    [Theory]
    [InlineData("0123456789 abcdefghij klmnop", 20, "0123456789 abcdefgh…")]
    [InlineData("short", 20, "short")]
    public void Fit_cuts_at_the_width_and_marks_the_cut(string text, int width, string expected) =>
        Assert.Equal(expected, JobBoard.Fit(text, width));
}
