using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Options;
using Migration.Cli.CommandLine;
using Migration.Oma.Persistence;
using Migration.Oma.Persistence.Dialects;
using Spectre.Console;

namespace Migration.Cli.Commands;

/// <summary>
/// <c>archive --older-than 90d</c>: moves <c>cbt_history</c> rows older than that into <c>cbt_history_archive</c>, in
/// short batches (<see cref="HistoryArchiver"/>); killed, it is simply run again.
/// </summary>
public static class ArchiveCommand
{
    public static Command Create()
    {
        var olderThan = AgeOption.Create("--older-than", "Move the rows created longer ago than this");
        var batchSize = CliOptions.Int("--batch-size", 1000, 1, 100_000, "Rows per batch: one short transaction each");
        var pause = CliOptions.Int("--pause-ms", 0, 0, 60_000, "Milliseconds to wait between batches, to leave the database to the saga", "MS");
        var db = CliOptions.Database();
        var command = new Command("archive", "Move cbt_history rows older than AGE into cbt_history_archive, in batches; safe to kill and run again")
        {
            olderThan, batchSize, pause, db,
        };
        command.SetAction((parsed, ct) => RunAsync(
            CliSettings.Build(CliSettings.Database(parsed.GetValue(db))), parsed.GetValue(olderThan), parsed.GetValue(batchSize),
            TimeSpan.FromMilliseconds(parsed.GetValue(pause)), TimeProvider.System, afterBatch: null, ct));
        return command;
    }

    public static async Task<int> RunAsync(
        IConfiguration configuration, TimeSpan olderThan, int batchSize, TimeSpan pause, TimeProvider time,
        Func<ArchiveBatch, Task>? afterBatch, CancellationToken cancellationToken)
    {
        await using var services = CliSettings.ReadServices(configuration);
        // The archive table may be newer than the database: the same migration the hosts run at start-up.
        DatabaseMigrator.Migrate(services.GetRequiredService<IOptions<DatabaseOptions>>().Value);
        var archiver = new HistoryArchiver(services.GetRequiredService<DbConnectionFactory>(), services.GetRequiredService<SqlDialect>(), time);

        var cutoff = time.GetUtcNow() - olderThan;
        var before = await archiver.CountAsync(cutoff, cancellationToken);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"archive: cbt_history rows created before {cutoff:yyyy-MM-dd HH:mm:ss} UTC: {before.Due} of {before.Live}; batches of {batchSize}"));

        var lastLine = time.GetTimestamp();
        var result = await archiver.ArchiveAsync(cutoff, batchSize, pause, async batch =>
        {
            if (batch.Number == 1 || time.GetElapsedTime(lastLine) >= TimeSpan.FromSeconds(1))
            {
                lastLine = time.GetTimestamp();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"archive: batch {batch.Number}: {batch.Rows} rows through id {batch.ThroughId} in {batch.Took.TotalMilliseconds:0} ms"));
            }

            if (afterBatch is not null)
            {
                await afterBatch(batch);
            }
        }, cancellationToken);

        AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"[green]archive: moved {result.Moved} rows[/] to cbt_history_archive in {result.Batches} batches ({result.Took.TotalSeconds:0.0} s, longest batch {result.LongestBatch.TotalMilliseconds:0} ms); " +
            $"cbt_history now holds {result.Counts.Live} rows, cbt_history_archive {result.Counts.Archived}"));
        return result.Counts.Due == 0 ? 0 : 1;
    }
}
