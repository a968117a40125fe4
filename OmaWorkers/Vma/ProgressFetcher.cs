using Migration.Contracts.Text;
using Migration.Contracts.Vma;

namespace Migration.OmaWorkers.Vma;

/// <summary>
/// Asks one VMA for the progress of some of its jobs the cheapest way it understands: one job, or a VMA without the
/// batch endpoint (<see cref="BatchlessVmas"/>), one GET per job; else one batch request per
/// <see cref="ProgressBatchRequest.MaxJobIds"/> jobs, falling back to GETs (and remembering the VMA) when it answers
/// that it has no batch endpoint.
/// </summary>
public sealed partial class ProgressFetcher(VmaClient vma, BatchlessVmas batchless, ILogger<ProgressFetcher> logger)
{
    /// <summary>One result per distinct job of <paramref name="jobIds"/>.</summary>
    public async Task<IReadOnlyDictionary<string, VmaProgressResult>> FetchAsync(
        string vmaUrl, IReadOnlyCollection<string> jobIds, CancellationToken cancellationToken)
    {
        var distinct = jobIds.Distinct(StringComparer.Ordinal).ToList();
        if (distinct.Count == 1 || batchless.Contains(vmaUrl))
        {
            return await OneByOneAsync(vmaUrl, distinct, cancellationToken);
        }

        var results = new Dictionary<string, VmaProgressResult>(distinct.Count, StringComparer.Ordinal);
        foreach (var chunk in distinct.Chunk(ProgressBatchRequest.MaxJobIds))
        {
            var batch = await vma.GetProgressBatchAsync(vmaUrl, chunk, cancellationToken);
            if (batch.EndpointMissing)
            {
                batchless.Remember(vmaUrl);
                LogNoBatchEndpoint(logger, SafeText.Escape(vmaUrl));
                foreach (var (jobId, result) in await OneByOneAsync(vmaUrl, distinct.Except(results.Keys, StringComparer.Ordinal).ToList(), cancellationToken))
                {
                    results[jobId] = result;
                }

                return results;
            }

            if (batch.IgnoredEntries > 0)
            {
                LogIgnoredEntries(logger, SafeText.Escape(vmaUrl), batch.IgnoredEntries);
            }

            foreach (var (jobId, result) in batch.Results)
            {
                results[jobId] = result;
            }
        }

        return results;
    }

    private async Task<IReadOnlyDictionary<string, VmaProgressResult>> OneByOneAsync(
        string vmaUrl, IReadOnlyList<string> jobIds, CancellationToken cancellationToken)
    {
        var results = await Task.WhenAll(jobIds.Select(jobId => vma.GetProgressAsync(vmaUrl, jobId, cancellationToken)));
        return jobIds.Zip(results).ToDictionary(pair => pair.First, pair => pair.Second, StringComparer.Ordinal);
    }

    [LoggerMessage(LogLevel.Information, "VMA {VmaUrl} has no batch progress endpoint (an older VMA): its jobs are polled one request each for a while")]
    private static partial void LogNoBatchEndpoint(ILogger logger, string vmaUrl);

    [LoggerMessage(LogLevel.Warning, "VMA {VmaUrl} answered a batch poll with {Count} entries about jobs not asked for or listed twice: ignored")]
    private static partial void LogIgnoredEntries(ILogger logger, string vmaUrl, int count);
}
