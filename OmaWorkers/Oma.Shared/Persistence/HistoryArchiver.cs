using Dapper;
using Migration.Oma.Persistence.Dialects;

namespace Migration.Oma.Persistence;

/// <summary>One batch the archiver moved: its number, how many rows, the last id it covered and how long its transaction took.</summary>
public sealed record ArchiveBatch(int Number, long Rows, long ThroughId, TimeSpan Took);

/// <summary>What a run moved, and what the tables hold after it.</summary>
public sealed record ArchiveResult(long Moved, int Batches, TimeSpan Took, TimeSpan LongestBatch, HistoryCounts Counts);

/// <summary>Rows in the live table, in the archive, and in the live table older than the cutoff.</summary>
public sealed record HistoryCounts
{
    public long Live { get; init; }

    public long Archived { get; init; }

    public long Due { get; init; }
}

/// <summary>
/// Moves <c>cbt_history</c> rows created before a cutoff into <c>cbt_history_archive</c>, in id order and in batches.
/// Each batch is one short transaction (INSERT…SELECT, then DELETE of the same ids), so the live table is never
/// locked for long, and a run killed anywhere leaves every row in exactly one table: a re-run goes on where it stopped.
/// </summary>
public sealed class HistoryArchiver(DbConnectionFactory connections, SqlDialect dialect, TimeProvider time)
{
    public async Task<HistoryCounts> CountAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.QuerySingleAsync<HistoryCounts>(new CommandDefinition(
            dialect.HistoryCounts, dialect.ArchiveParameters(cutoff, 0, 0, 1, cutoff), cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <param name="afterBatch">Called after each committed batch (progress lines; tests inject a failure here).</param>
    public async Task<ArchiveResult> ArchiveAsync(
        DateTimeOffset cutoff, int batchSize, TimeSpan pause, Func<ArchiveBatch, Task>? afterBatch, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var run = time.GetTimestamp();
        long after = 0;
        long moved = 0;
        var batches = 0;
        var longest = TimeSpan.Zero;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var started = time.GetTimestamp();
            await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);

            // Read outside the write transaction (SQLite cannot turn a read transaction into a write one under load);
            // the copy and the delete check the cutoff again, so the bound alone decides nothing.
            var through = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                dialect.ArchiveBatchEnd, dialect.ArchiveParameters(cutoff, after, 0, batchSize, cutoff), cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (through is null)
            {
                break;
            }

            var parameters = dialect.ArchiveParameters(cutoff, after, through.Value, batchSize, time.GetUtcNow());
            int removed;
            await using (var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
            {
                await connection.ExecuteAsync(new CommandDefinition(dialect.ArchiveCopy, parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                removed = await connection.ExecuteAsync(new CommandDefinition(dialect.ArchiveRemove, parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            moved += removed;
            batches++;
            var took = time.GetElapsedTime(started);
            longest = took > longest ? took : longest;
            after = through.Value;
            if (afterBatch is not null)
            {
                await afterBatch(new ArchiveBatch(batches, removed, after, took)).ConfigureAwait(false);
            }

            if (pause > TimeSpan.Zero)
            {
                await Task.Delay(pause, time, cancellationToken).ConfigureAwait(false);
            }
        }

        return new ArchiveResult(moved, batches, time.GetElapsedTime(run), longest, await CountAsync(cutoff, cancellationToken).ConfigureAwait(false));
    }
}
