using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Migration.Contracts.Vma;
using Migration.VmaAgent.Configuration;
using Migration.VmaAgent.Sources;

namespace Migration.VmaAgent.Jobs;

/// <summary>Every job this VMA knows, by job id (the idempotency key), until its retention ends.</summary>
public sealed class JobRegistry(TimeProvider time, IOptions<VmaOptions> options, JobRunner runner, IHostApplicationLifetime lifetime)
{
    private readonly ConcurrentDictionary<string, ReplicationJob> _jobs = new(StringComparer.Ordinal);

    public ReplicationJob? Find(string jobId) => _jobs.GetValueOrDefault(jobId);

    public IReadOnlyCollection<ReplicationJob> Jobs => [.. _jobs.Values];

    /// <summary>Starts the job, or returns the existing one with the same id (the caller compares fingerprints).</summary>
    public (ReplicationJob Job, bool Created) GetOrStart(string jobId, string fingerprint, StartReplicationRequest request, SourceVm vm)
    {
        if (_jobs.TryGetValue(jobId, out var existing))
        {
            return (existing, false);
        }

        var job = new ReplicationJob(jobId, fingerprint, request, vm, time, options.Value.Jobs.ThroughputWindow, lifetime.ApplicationStopping,
            options.Value.Jobs.EtaWindow, options.Value.Jobs.EtaChangeAfter);
        if (!_jobs.TryAdd(jobId, job))
        {
            job.DisposeCancellation();
            return (_jobs[jobId], false);
        }

        runner.Start(job);
        return (job, true);
    }

    /// <summary>Takes up a job found in the journal at start-up; false when a job of that id is already known.</summary>
    public bool Resume(JobJournalRecord journal, StartReplicationRequest request, SourceVm vm)
    {
        // A resumed job estimates as a new one would: the configured window, not the default.
        var job = new ReplicationJob(journal.JobId, journal.Fingerprint, request, vm, time, options.Value.Jobs.ThroughputWindow, lifetime.ApplicationStopping,
            options.Value.Jobs.EtaWindow, options.Value.Jobs.EtaChangeAfter)
        {
            ResumeFrom = journal,
        };
        if (!_jobs.TryAdd(journal.JobId, job))
        {
            job.DisposeCancellation();
            return false;
        }

        runner.Start(job);
        return true;
    }

    /// <summary>
    /// Below <c>Vma:Jobs:MaxRetainedJobs</c>: true. At it: drops the job that finished first and returns true, or
    /// returns false when every kept job is still running.
    /// </summary>
    public bool MakeRoom()
    {
        while (_jobs.Count >= options.Value.Jobs.MaxRetainedJobs)
        {
            var oldest = _jobs.Values
                .Where(j => j.Snapshot.Document.CompletedAt is not null)
                .MinBy(j => j.Snapshot.Document.CompletedAt);
            if (oldest is null)
            {
                return false;
            }

            _jobs.TryRemove(oldest.JobId, out _);
        }

        return true;
    }

    /// <summary>Drops finished jobs whose retention has passed; returns how many.</summary>
    public int RemoveExpired()
    {
        var cutoff = time.GetUtcNow() - options.Value.Jobs.Retention;
        var removed = 0;
        foreach (var (id, job) in _jobs)
        {
            if (job.Snapshot.Document.CompletedAt is { } completed && completed <= cutoff && _jobs.TryRemove(id, out _))
            {
                removed++;
            }
        }

        return removed;
    }
}
