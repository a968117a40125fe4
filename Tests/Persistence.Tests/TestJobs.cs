using Migration.Contracts;
using Migration.Contracts.Status;
using Migration.OmaWorkers.SagaRepository;
using Migration.OmaWorkers.Saga;

namespace Migration.Tests.Persistence;

internal static class TestJobs
{
    /// <summary>A fixed clock: whole milliseconds, so every provider stores the instant exactly.</summary>
    public static readonly DateTimeOffset Now = new(2025, 9, 4, 12, 0, 0, TimeSpan.Zero);

    public static string NewJobId(string prefix = "job") => $"{prefix}-{Guid.NewGuid():N}";

    public static ReplicationState NewState(
        string jobId, string vmName = "vm-web-01", string status = StatusMapping.Pending, DateTimeOffset? createdAt = null) =>
        new()
        {
            CorrelationId = JobIdentity.ToCorrelationId(jobId),
            JobId = jobId,
            CurrentState = JobStates.StateOf(status),
            VmaUrl = "https://vma.example:443",
            VmName = vmName,
            CreatedAt = createdAt ?? Now,
            UpdatedAt = createdAt ?? Now,
        };

    public static async Task<ReplicationState> InsertAsync(ReplicationStateRepository repository, ReplicationState state)
    {
        await using var session = repository.OpenSession();
        await session.InsertAsync(state, CancellationToken.None);
        return state;
    }
}
