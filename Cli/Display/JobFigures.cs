using Migration.Contracts.Status;
using Migration.Oma.Persistence;
using Migration.Oma.Progress;

namespace Migration.Cli.Display;

/// <summary>What a person wants to know about a job at a glance, derived from its row and the time now.</summary>
public sealed record JobFigures(TimeSpan Elapsed, long AverageBps, TimeSpan? Eta, TimeSpan? SinceContact, bool Finished, bool Silent)
{
    /// <summary>A running job not heard from for this long is shown as silent, not live.</summary>
    public static readonly TimeSpan SilentAfter = TimeSpan.FromMinutes(1);

    public static JobFigures Of(JobView job, DateTimeOffset now, double? etaSeconds = null)
    {
        var start = job.StartedAt ?? job.CreatedAt;
        var finished = StatusMapping.IsTerminal(job.Status);
        var end = finished ? job.CompletedAt ?? job.UpdatedAt : now;
        var elapsed = end > start ? end - start : TimeSpan.Zero;
        var average = elapsed.TotalSeconds >= 0.05 ? (long)(job.BytesTransferred / elapsed.TotalSeconds) : 0;
        var sinceContact = job.LastContactAt is { } contact && now > contact ? now - contact : (TimeSpan?)null;
        var silent = !finished && (sinceContact ?? (now - job.CreatedAt)) > SilentAfter;

        TimeSpan? eta = null;
        if (!finished && !silent)
        {
            // The estimate given, else the OMA's from the row (the VMA's eta_seconds when it sent one), else what is left at the recent rate.
            var rate = job.TransferSpeedBps > 0 ? job.TransferSpeedBps : average;
            var left = Math.Max(0, job.TotalBytes - job.BytesTransferred);
            eta = (etaSeconds ?? JobEta.Seconds(job, null, now)) is { } given ? TimeSpan.FromSeconds(given)
                : rate > 0 && job.TotalBytes > 0 ? TimeSpan.FromSeconds((double)left / rate)
                : null;
        }

        return new JobFigures(elapsed, average, eta, sinceContact, finished, silent);
    }

    /// <summary>"0.4 s", "12 s", "3 min 05 s", "2 h 10 min".</summary>
    public static string Duration(TimeSpan span) => span.TotalSeconds switch
    {
        < 10 => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.0} s"),
        < 60 => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{span.TotalSeconds:0} s"),
        < 3600 => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{(int)span.TotalMinutes} min {span.Seconds:00} s"),
        _ => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{(int)span.TotalHours} h {span.Minutes:00} min"),
    };
}
