using System.Globalization;
using Migration.Contracts.Status;
using Migration.Oma.Persistence;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Migration.Cli.Display;

/// <summary>How jobs look on the terminal besides the live board: the demo's summary, the compact line for logs, byte counts.</summary>
public static class JobTable
{
    /// <summary>The demo's closing table; errors are listed below it by the demo, so no column wraps at 80 characters.</summary>
    public static Table Summary(IEnumerable<JobView> jobs, IReadOnlyDictionary<string, int> diskCounts)
    {
        var table = CompactTable.Create("Summary", 2, "Job", "Sync", "Status", "Disks", "Moved", "Took", "Avg rate");
        foreach (var job in jobs)
        {
            var figures = JobFigures.Of(job, job.CompletedAt ?? job.UpdatedAt);
            table.AddRow(
                new Text(Shown.Text(job.Id)),
                new Text(job.SyncType ?? "—"),
                Status(job.Status),
                new Text(diskCounts.GetValueOrDefault(job.Id).ToString(CultureInfo.InvariantCulture)),
                new Text(Bytes(job.BytesTransferred)),
                new Text(job.CompletedAt is null ? "—" : JobFigures.Duration(figures.Elapsed)),
                new Text($"{Bytes(figures.AverageBps)}/s"));
        }

        return table;
    }

    public static string Line(JobView job) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{Shown.Text(job.Id)}: {job.Status} {Shown.Text(job.CurrentOperation ?? "-")} {job.ProgressPercent:0.0}% {Bytes(job.BytesTransferred)}/{Bytes(job.TotalBytes)} {Bytes(job.TransferSpeedBps)}/s");

    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        // Three significant digits at most, so a rate column keeps its width.
        return value.ToString(value >= 100 ? "0" : "0.#", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    public static IRenderable Status(string status) => new Markup(status switch
    {
        StatusMapping.Completed => "[green]completed[/]",
        StatusMapping.Failed => "[red]failed[/]",
        _ => $"[yellow]{Markup.Escape(status)}[/]",
    });
}
