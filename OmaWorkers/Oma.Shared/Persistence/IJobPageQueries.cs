namespace Migration.Oma.Persistence;

/// <summary>The reads of the read-only OMA API and its live page (pages of jobs, a VM's earlier syncs).</summary>
public interface IJobPageQueries
{
    /// <summary>Jobs newest first, <paramref name="limit"/> after skipping <paramref name="offset"/>; only <paramref name="status"/> when given.</summary>
    Task<IReadOnlyList<JobView>> GetJobsPageAsync(string? status, int limit, int offset, CancellationToken cancellationToken);

    /// <summary>The newest <paramref name="limit"/> cbt_history rows of every job of <paramref name="vmName"/>, newest first.</summary>
    Task<IReadOnlyList<CbtHistoryRow>> GetVmCbtHistoryAsync(string vmName, int limit, CancellationToken cancellationToken);
}
