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
        AnsiConsole.Write(Table("Recent CBT history", rows));
        return 0;
    }

    public static Table Table(string title, IEnumerable<CbtHistoryRow> rows)
    {
        var table = new Table().Title(title)
            .AddColumns("job_id", "disk_id", "sync_type", "previous_change_id", "change_id", "bytes_transferred", "sync_duration_seconds", "sync_success", "created_at");
        foreach (var row in rows)
        {
            table.AddRow(
                Markup.Escape(row.JobId), Markup.Escape(row.DiskId), row.SyncType,
                Markup.Escape(row.PreviousChangeId ?? ""), Markup.Escape(row.ChangeId ?? ""),
                JobTable.Bytes(row.BytesTransferred),
                row.SyncDurationSeconds.ToString(CultureInfo.InvariantCulture),
                row.SyncSuccess ? "[green]true[/]" : "[red]false[/]",
                row.CreatedAt.ToString("u", CultureInfo.InvariantCulture));
        }

        return table;
    }
}
