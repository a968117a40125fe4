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

        var active = new Table().Title("Active replication jobs").AddColumns("id", "status", "current_operation", "progress_percent", "updated_at");
        foreach (var job in await queries.GetActiveJobsAsync(cancellationToken))
        {
            active.AddRow(job.Id, job.Status, job.CurrentOperation ?? "", job.ProgressPercent.ToString("0.00", CultureInfo.InvariantCulture), job.UpdatedAt.ToString("u", CultureInfo.InvariantCulture));
        }

        AnsiConsole.Write(active);
        AnsiConsole.Write(HistoryCommand.Table("Recent CBT history", await queries.GetRecentCbtHistoryAsync(10, cancellationToken)));

        var health = await queries.GetHealthAsync(now.AddHours(-24), cancellationToken);
        var healthTable = new Table().Title("Progress tracking health (last 24 h)").AddColumns("total_jobs", "completed", "failed");
        healthTable.AddRow(health.TotalJobs.ToString(CultureInfo.InvariantCulture), health.Completed.ToString(CultureInfo.InvariantCulture), health.Failed.ToString(CultureInfo.InvariantCulture));
        AnsiConsole.Write(healthTable);
        return 0;
    }
}
