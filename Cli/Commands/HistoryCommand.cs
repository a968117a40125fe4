using System.Globalization;
using Migration.Cli.Display;
using Migration.Oma.Persistence;
using Spectre.Console;

namespace Migration.Cli.Commands;

/// <summary><c>history</c>: the recent <c>cbt_history</c> rows, newest first.</summary>
public static class HistoryCommand
{
    public const string Usage = "history [--db PATH] [--limit N]";

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var cli = new CliArguments(args, new HashSet<string> { "db", "limit" }, new HashSet<string>());
        var limit = cli.Int("limit", 20, 1, 10_000);
        await using var services = CliSettings.ReadServices(cli.Option("db"));
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
