using Migration.Oma.Persistence;

namespace Migration.Cli.Display;

/// <summary>One job and its disks as the live view shows them.</summary>
public sealed record JobSnapshot(JobView Job, IReadOnlyList<DiskRow> Disks)
{
    public static async Task<IReadOnlyList<JobSnapshot>> ReadAsync(IJobQueries queries, IEnumerable<JobView> jobs, CancellationToken cancellationToken)
    {
        var snapshots = new List<JobSnapshot>();
        foreach (var job in jobs)
        {
            snapshots.Add(new JobSnapshot(job, await queries.GetDisksAsync(job.Id, cancellationToken)));
        }

        return snapshots;
    }
}
