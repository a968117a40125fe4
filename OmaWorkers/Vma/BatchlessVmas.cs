using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Migration.OmaWorkers.Vma;

/// <summary>
/// The VMAs that answered the batch endpoint with 404 or 405 (older than it), each remembered for
/// <see cref="VmaClientOptions.BatchlessRecheckAfter"/>: meanwhile they are polled job by job, afterwards the batch
/// endpoint is tried again (the VMA may have been upgraded). One map per worker, as small as the set of VMAs.
/// </summary>
public sealed class BatchlessVmas(TimeProvider time, IOptions<VmaClientOptions> options)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _until = new(StringComparer.Ordinal);

    public bool Contains(string vmaUrl)
    {
        if (!_until.TryGetValue(vmaUrl, out var until))
        {
            return false;
        }

        if (time.GetUtcNow() < until)
        {
            return true;
        }

        _until.TryRemove(KeyValuePair.Create(vmaUrl, until));
        return false;
    }

    public void Remember(string vmaUrl) => _until[vmaUrl] = time.GetUtcNow() + options.Value.BatchlessRecheckAfter;
}
