using Microsoft.Extensions.DependencyInjection;
using Migration.Contracts;
using Migration.Contracts.Status;
using Migration.Oma.Persistence;
using Migration.OmaWorkers.Saga;
using Migration.OmaWorkers.SagaRepository;

namespace Migration.Tests.Web;

/// <summary>Writes job rows the way the saga does (its repository) and the rows beside them (the store).</summary>
public sealed class TestRows(IServiceProvider services)
{
    private ReplicationStateRepository Repository => services.GetRequiredService<ReplicationStateRepository>();

    public IReplicationStore Store => services.GetRequiredService<IReplicationStore>();

    public static ReplicationState Job(string jobId, string status, DateTimeOffset createdAt, string vmName = "vm-web-01") => new()
    {
        CorrelationId = JobIdentity.ToCorrelationId(jobId),
        JobId = jobId,
        CurrentState = JobStates.StateOf(status),
        VmaUrl = "https://vma.example:443",
        VmName = vmName,
        CreatedAt = createdAt,
        UpdatedAt = createdAt,
        StartedAt = createdAt,
    };

    public async Task<ReplicationState> InsertAsync(ReplicationState state)
    {
        await using var session = Repository.OpenSession();
        await session.InsertAsync(state, CancellationToken.None);
        return state;
    }

    public async Task UpdateAsync(string jobId, Action<ReplicationState> change)
    {
        await using var session = Repository.OpenSession();
        var state = await session.LoadAsync(JobIdentity.ToCorrelationId(jobId), CancellationToken.None)
            ?? throw new InvalidOperationException($"no job {jobId}");
        change(state);
        await session.UpdateAsync(state, CancellationToken.None);
    }

    public Task DisksAsync(string jobId, DateTimeOffset at, params (string Id, string Status, decimal Percent, long Synced, long Planned)[] disks) =>
        Store.UpsertDisksAsync([.. disks.Select(d => new DiskRow
        {
            JobId = jobId,
            DiskId = d.Id,
            Label = $"Hard disk {d.Id}",
            SyncStatus = d.Status,
            SyncProgressPercent = d.Percent,
            BytesSynced = d.Synced,
            PlannedBytes = d.Planned,
            DiskChangeId = d.Status == StatusMapping.Completed ? $"cid-{d.Id}" : null,
            UpdatedAt = at,
        })], CancellationToken.None);

    public Task HistoryAsync(string jobId, DateTimeOffset at, params (string DiskId, long Bytes, int Seconds, bool Success)[] rows) =>
        Store.AddCbtHistoryAsync([.. rows.Select(r => new CbtHistoryRow
        {
            JobId = jobId,
            DiskId = r.DiskId,
            ChangeId = $"cid-{r.DiskId}",
            SyncType = "full",
            BytesTransferred = r.Bytes,
            SyncDurationSeconds = r.Seconds,
            SyncSuccess = r.Success,
            CreatedAt = at,
        })], CancellationToken.None);

    public Task LogAsync(string jobId, DateTimeOffset at, string kind, string message, string level = "Information") =>
        Store.AppendJobLogAsync(new JobLogEntry
        {
            JobId = jobId,
            CorrelationId = JobIdentity.ToCorrelationId(jobId),
            At = at,
            Level = level,
            EventKind = kind,
            Message = message,
            DedupeKey = $"{kind}-{message}",
        }, CancellationToken.None);
}
