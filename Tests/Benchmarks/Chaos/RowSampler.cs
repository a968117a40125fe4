using Npgsql;

namespace Migration.Benchmarks.Chaos;

/// <summary>
/// Reads every job row and disk row about once a second while the run goes on, as an operator watching would see them,
/// and records each regression: percent or bytes going backwards within a sync (every job here is one sync), a finished
/// job or disk reopening, a row version going back. A status that steps back to an earlier live one (a resumed VMA job
/// runs its preparation stages again) is counted apart: the seed does not forbid it, the operator sees it.
/// </summary>
public sealed class RowSampler(string connectionString)
{
    private static readonly string[] StatusOrder = ["pending", "preparing", "snapshotting", "streaming", "finalizing"];

    private readonly Dictionary<string, (string Status, decimal Percent, long Bytes, long Version)> jobs = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Job, string Disk), (string Status, decimal Percent, long Bytes)> disks = [];

    public List<string> Regressions { get; } = [];

    public List<string> StatusStepsBack { get; } = [];

    public int Samples { get; private set; }

    public int FailedSamples { get; private set; }

    /// <summary>Job ids by status in the last sample.</summary>
    public Dictionary<string, int> LastCounts { get; private set; } = [];

    public async Task RunAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        do
        {
            await SampleAsync(cancellationToken);
        }
        while (await WaitAsync(timer, cancellationToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async Task SampleAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
            await SampleJobsAsync(connection, cancellationToken);
            await SampleDisksAsync(connection, cancellationToken);
            Samples++;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            // PostgreSQL is down (a fault) or the schema is not there yet: the next sample reads again.
            FailedSamples++;
            NpgsqlConnection.ClearAllPools();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task SampleJobsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT id, status, progress_percent, bytes_transferred, version FROM replication_jobs", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetString(0);
            var now = (Status: reader.GetString(1), Percent: reader.GetDecimal(2), Bytes: reader.GetInt64(3), Version: Convert.ToInt64(reader.GetValue(4), System.Globalization.CultureInfo.InvariantCulture));
            counts[now.Status] = counts.GetValueOrDefault(now.Status) + 1;
            if (jobs.TryGetValue(id, out var before))
            {
                if (now.Percent < before.Percent)
                {
                    Regressions.Add($"{id}: progress_percent {before.Percent} -> {now.Percent}");
                }

                if (now.Bytes < before.Bytes)
                {
                    Regressions.Add($"{id}: bytes_transferred {before.Bytes} -> {now.Bytes}");
                }

                if (before.Status is "completed" or "failed" && now.Status != before.Status)
                {
                    Regressions.Add($"{id}: finished job reopened {before.Status} -> {now.Status}");
                }
                else if (now.Status is not ("completed" or "failed") && Rank(now.Status) < Rank(before.Status))
                {
                    StatusStepsBack.Add($"{id}: {before.Status} -> {now.Status}");
                }

                if (now.Version < before.Version)
                {
                    Regressions.Add($"{id}: version {before.Version} -> {now.Version}");
                }
            }

            jobs[id] = now;
        }

        LastCounts = counts;
    }

    private async Task SampleDisksAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT job_id, disk_id, sync_status, sync_progress_percent, bytes_synced FROM vm_disks", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var key = (reader.GetString(0), reader.GetString(1));
            var now = (Status: reader.GetString(2), Percent: reader.GetDecimal(3), Bytes: reader.GetInt64(4));
            if (disks.TryGetValue(key, out var before))
            {
                if (now.Bytes < before.Bytes || now.Percent < before.Percent)
                {
                    Regressions.Add($"{key.Item1}/{key.Item2}: disk {before.Percent}% {before.Bytes} bytes -> {now.Percent}% {now.Bytes} bytes");
                }

                if (before.Status is "completed" or "failed" && now.Status != before.Status)
                {
                    Regressions.Add($"{key.Item1}/{key.Item2}: finished disk reopened {before.Status} -> {now.Status}");
                }
            }

            disks[key] = now;
        }
    }

    private static int Rank(string status) => Array.IndexOf(StatusOrder, status);
}
