using System.Globalization;
using Migration.Contracts.Status;
using Migration.Oma.Persistence;
using Migration.Oma.Progress;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Migration.Cli.Display;

/// <summary>How a job looks on the terminal: the live table of demo and watch, and the compact line for logs.</summary>
public static class JobTable
{
    /// <param name="etas">ETAs computed with each VM's history (<see cref="JobEta"/>); a job not in it gets one from its row alone.</param>
    public static Table Live(IEnumerable<JobView> jobs, IReadOnlyDictionary<string, long?>? etas = null)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumns("Job", "VM", "Sync", "Stage", "Status", "Progress", "Bytes", "Throughput", "ETA");
        var now = TimeProvider.System.GetUtcNow();
        foreach (var job in jobs)
        {
            table.AddRow(
                new Text(job.Id),
                new Text(job.VmName),
                new Text(job.SyncType ?? "…"),
                new Text(job.CurrentOperation ?? "—"),
                Status(job.Status),
                Bar(job.ProgressPercent),
                new Text($"{Bytes(job.BytesTransferred)} / {Bytes(job.TotalBytes)}"),
                new Text($"{Bytes(job.TransferSpeedBps)}/s"),
                new Text(Eta(etas is not null && etas.TryGetValue(job.Id, out var eta) ? eta : JobEta.Seconds(job, null, now))));
        }

        return table;
    }

    /// <summary>"—" while unknown, else "12 s", "4 min 05 s", "2 h 10 min".</summary>
    public static string Eta(long? seconds) => seconds switch
    {
        null => "—",
        < 60 => string.Create(CultureInfo.InvariantCulture, $"{seconds} s"),
        < 3600 => string.Create(CultureInfo.InvariantCulture, $"{seconds / 60} min {seconds % 60:00} s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600} h {seconds % 3600 / 60:00} min"),
    };

    public static Table Summary(IEnumerable<JobView> jobs, IReadOnlyDictionary<string, int> diskCounts)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]Summary[/]")
            .AddColumns("Job", "VM", "Sync", "Status", "Disks", "Bytes moved", "Duration", "Error");
        foreach (var job in jobs)
        {
            var duration = job.CompletedAt is { } end ? end - (job.StartedAt ?? job.CreatedAt) : (TimeSpan?)null;
            table.AddRow(
                new Text(job.Id),
                new Text(job.VmName),
                new Text(job.SyncType ?? "—"),
                Status(job.Status),
                new Text(diskCounts.GetValueOrDefault(job.Id).ToString(CultureInfo.InvariantCulture)),
                new Text(Bytes(job.BytesTransferred)),
                new Text(duration is { } d ? $"{d.TotalSeconds:0.0} s" : "—"),
                new Text(job.ErrorMessage ?? ""));
        }

        return table;
    }

    public static string Line(JobView job) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{job.Id}: {job.Status} {job.CurrentOperation ?? "-"} {job.ProgressPercent:0.0}% {Bytes(job.BytesTransferred)}/{Bytes(job.TotalBytes)} {Bytes(job.TransferSpeedBps)}/s");

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

        return string.Create(CultureInfo.InvariantCulture, $"{value:0.#} {units[unit]}");
    }

    private static IRenderable Status(string status) => new Markup(status switch
    {
        StatusMapping.Completed => "[green]completed[/]",
        StatusMapping.Failed => "[red]failed[/]",
        _ => $"[yellow]{Markup.Escape(status)}[/]",
    });

    private static Text Bar(decimal percent)
    {
        const int width = 20;
        var filled = (int)Math.Round(Math.Clamp(percent, 0, 100) / 100 * width);
        return new Text(string.Create(CultureInfo.InvariantCulture, $"{new string('█', filled)}{new string('░', width - filled)} {percent,6:0.0}%"));
    }
}
