using System.Globalization;
using Migration.Contracts.Status;
using Migration.Oma.Persistence;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Migration.Cli.Display;

/// <summary>
/// The live view of <c>demo</c> and <c>watch</c>: per job a title line, a bar with bytes and rates, a line of times
/// (elapsed, ETA, last contact) and a bar per disk. Every line is cut to the console's width, so nothing wraps.
/// </summary>
public static class JobBoard
{
    private const int MinBar = 10;
    private const int MaxBar = 40;

    /// <summary>What a bar line adds around the bar: " 100.0%  ".</summary>
    private const int BarDecoration = 9;

    public static IRenderable Render(IReadOnlyList<JobSnapshot> jobs, DateTimeOffset now, int width)
    {
        if (jobs.Count == 0)
        {
            return new Text("no active jobs");
        }

        // Lines first, bars last: one bar width for the whole board, as wide as its longest bar line allows.
        var lines = new List<(string Text, decimal? Percent, string After, Style Style)>();
        foreach (var (job, disks) in jobs)
        {
            var figures = JobFigures.Of(job, now);
            var status = figures.Silent ? "silent" : job.Status;
            lines.Add(($"{Shown.Text(job.Id)}  {Shown.Text(job.VmName)}  {job.SyncType ?? "…"}  {status}  {Shown.Text(job.CurrentOperation)}", null, "", StatusStyle(job.Status, figures.Silent)));

            var rate = figures.Finished ? $"avg {JobTable.Bytes(figures.AverageBps)}/s" : $"{JobTable.Bytes(job.TransferSpeedBps)}/s";
            lines.Add(("  ", job.ProgressPercent, $"{JobTable.Bytes(job.BytesTransferred)} / {JobTable.Bytes(job.TotalBytes)}  {rate}", Style.Plain));

            var times = figures.Finished
                ? $"  took {JobFigures.Duration(figures.Elapsed)}"
                : $"  elapsed {JobFigures.Duration(figures.Elapsed)} · ETA {(figures.Eta is { } eta ? JobFigures.Duration(eta) : "—")} · avg {JobTable.Bytes(figures.AverageBps)}/s";
            var contact = figures.SinceContact is { } since ? $" · contact {JobFigures.Duration(since)} ago" : " · no contact yet";
            lines.Add((times + (figures.Finished ? "" : contact), null, "", figures.Silent ? new Style(Color.Red) : new Style(decoration: Decoration.Dim)));
            if (figures.Silent)
            {
                lines.Add(($"  not heard from for over {JobFigures.Duration(JobFigures.SilentAfter)}: the VMA may be unreachable", null, "", new Style(Color.Red)));
            }

            foreach (var disk in disks)
            {
                lines.Add(($"    {Shown.Text(disk.DiskId)} ", disk.SyncProgressPercent, $"{JobTable.Bytes(disk.BytesSynced)} / {JobTable.Bytes(disk.PlannedBytes)}", Style.Plain));
            }
        }

        var widest = lines.Where(l => l.Percent is not null).Select(l => l.Text.Length + l.After.Length).DefaultIfEmpty(0).Max();
        var bar = Math.Clamp(width - widest - BarDecoration, MinBar, MaxBar);
        return new Rows(lines.Select(l => new Text(Fit(l.Percent is { } percent ? BarLine(l.Text, percent, l.After, bar) : l.Text, width), l.Style)));
    }

    /// <summary><paramref name="prefix"/>, a bar of <paramref name="bar"/> cells, the percent, then <paramref name="after"/>.</summary>
    public static string BarLine(string prefix, decimal percent, string after, int bar)
    {
        var clamped = Math.Clamp(percent, 0, 100);
        var filled = (int)Math.Round(clamped / 100 * bar);
        return string.Create(CultureInfo.InvariantCulture, $"{prefix}{new string('█', filled)}{new string('░', bar - filled)} {clamped,5:0.0}%  {after}");
    }

    /// <summary>Cut to <paramref name="width"/> at a word boundary where possible, marking the cut with an ellipsis.</summary>
    public static string Fit(string text, int width)
    {
        text = text.TrimEnd();
        if (text.Length <= width)
        {
            return text;
        }

        var cut = text.LastIndexOf(' ', Math.Max(0, width - 2));
        var keep = cut > width / 2 ? cut : width - 1;
        // Never between the two halves of a 4-byte character (an emoji in a VM name).
        keep -= keep > 0 && char.IsHighSurrogate(text[keep - 1]) ? 1 : 0;
        return text[..keep].TrimEnd() + "…";
    }

    private static Style StatusStyle(string status, bool silent) =>
        silent ? new Style(Color.Red, decoration: Decoration.Bold)
        : status switch
        {
            StatusMapping.Completed => new Style(Color.Green, decoration: Decoration.Bold),
            StatusMapping.Failed => new Style(Color.Red, decoration: Decoration.Bold),
            _ => new Style(Color.Yellow, decoration: Decoration.Bold),
        };
}
