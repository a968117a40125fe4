using System.CommandLine;
using System.Globalization;
using Migration.Cli.CommandLine;
using Migration.Cli.Display;
using Migration.Oma.Persistence;
using Spectre.Console;

namespace Migration.Cli.Commands;

/// <summary><c>history</c>: the recent <c>cbt_history</c> rows, newest first.</summary>
public static class HistoryCommand
{
    public static Command Create()
    {
        var db = CliOptions.Database();
        var limit = CliOptions.Int("--limit", 20, 1, 10_000, "How many rows to show");
        var command = new Command("history", "Show the most recent cbt_history rows (one per disk and sync), newest first") { db, limit };
        command.SetAction((parsed, ct) => RunAsync(parsed.GetValue(db), parsed.GetValue(limit), ct));
        return command;
    }

    public static async Task<int> RunAsync(string? dbPath, int limit, CancellationToken cancellationToken)
    {
        await using var services = CliSettings.ReadServices(dbPath);
        var rows = await services.GetRequiredService<IJobQueries>().GetRecentCbtHistoryAsync(limit, cancellationToken);
        AnsiConsole.Write(rows.Count == 0 ? new Text("Recent CBT history: none\n") : Table("Recent CBT history", rows));
        return 0;
    }

    /// <summary>The history rows; the change ids (long) only where the console is wide enough for them.</summary>
    public static Table Table(string title, IEnumerable<CbtHistoryRow> rows, int? width = null)
    {
        var wide = (width ?? AnsiConsole.Profile.Width) >= 160;
        var table = CompactTable.Create(title, wide ? 2 : 1, ["Job", "Disk", "Sync", "Moved", "Took", "OK", "At (UTC)", .. wide ? ["Previous change id", "Change id"] : Array.Empty<string>()]);

        foreach (var row in rows)
        {
            List<string> cells =
            [
                Shown.Markup(row.JobId), Shown.Markup(row.DiskId), row.SyncType,
                JobTable.Bytes(row.BytesTransferred),
                row.SyncDurationSeconds.ToString(CultureInfo.InvariantCulture) + " s",
                row.SyncSuccess ? "[green]yes[/]" : "[red]no[/]",
                row.CreatedAt.ToString(wide ? "yyyy-MM-dd HH:mm:ss" : "yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
            ];
            if (wide)
            {
                cells.AddRange([Shown.Markup(row.PreviousChangeId ?? "—"), Shown.Markup(row.ChangeId ?? "—")]);
            }

            table.AddRow([.. cells]);
        }

        return table;
    }
}
