using System.CommandLine;
using System.Globalization;
using Migration.Cli.CommandLine;
using Migration.Cli.Display;
using Migration.Oma.Persistence;
using Spectre.Console;

namespace Migration.Cli.Commands;

/// <summary><c>jobs</c>: the seed's three monitoring queries, as the configured database answers them.</summary>
public static class JobsCommand
{
    public static Command Create()
    {
        var db = CliOptions.Database();
        var command = new Command("jobs", "Show the seed's three monitoring queries: active jobs, recent CBT history, health of the last 24 h") { db };
        command.SetAction((parsed, ct) => RunAsync(parsed.GetValue(db), ct));
        return command;
    }

    public static async Task<int> RunAsync(string? dbPath, CancellationToken cancellationToken)
    {
        await using var services = CliSettings.ReadServices(dbPath);
        var queries = services.GetRequiredService<IJobQueries>();
        var now = services.GetService<TimeProvider>()?.GetUtcNow() ?? TimeProvider.System.GetUtcNow();

        var active = await queries.GetActiveJobsAsync(cancellationToken);
        var activeTable = CompactTable.Create("Active replication jobs", 2, "Job", "Status", "Stage", "Progress", "Updated (UTC)");
        foreach (var job in active)
        {
            activeTable.AddRow(
                Shown.Markup(job.Id), job.Status, Shown.Markup(job.CurrentOperation ?? "—"),
                job.ProgressPercent.ToString("0.0", CultureInfo.InvariantCulture) + "%",
                job.UpdatedAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture));
        }

        AnsiConsole.Write(active.Count == 0 ? new Text("Active replication jobs: none\n") : activeTable);
        var history = await queries.GetRecentCbtHistoryAsync(10, cancellationToken);
        AnsiConsole.Write(history.Count == 0 ? new Text("Recent CBT history: none\n") : HistoryCommand.Table("Recent CBT history", history));

        var health = await queries.GetHealthAsync(now.AddHours(-24), cancellationToken);
        var healthTable = CompactTable.Create("Progress tracking health (last 24 h)", 2, "Jobs", "Completed", "Failed", "Other");
        healthTable.AddRow(
            health.TotalJobs.ToString(CultureInfo.InvariantCulture), health.Completed.ToString(CultureInfo.InvariantCulture),
            health.Failed.ToString(CultureInfo.InvariantCulture), (health.TotalJobs - health.Completed - health.Failed).ToString(CultureInfo.InvariantCulture));
        AnsiConsole.Write(health.TotalJobs == 0 ? new Text("Progress tracking health (last 24 h): no jobs\n") : healthTable);
        return 0;
    }
}
