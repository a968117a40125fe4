using System.Buffers;
using Migration.VmaAgent.Sources;
using Migration.VmaAgent.Targets;

namespace Migration.VmaAgent.Transfer;

/// <summary>
/// Moves one disk's planned areas from a source snapshot to a target: aligned requests, several in flight, one
/// pooled buffer each (memory is bounded by their product). A request that reads as zeros becomes a zero write, or
/// nothing at all on a full sync to a target that already reads as zeros. Progress is reported per completed
/// request, in planned bytes only; flushed checkpoints name the offset below which everything is durable.
/// </summary>
public static class TransferEngine
{
    public static async Task CopyAsync(
        ISourceDisk source,
        ITargetDisk target,
        IReadOnlyList<DiskArea> areas,
        bool fullSync,
        TransferSettings settings,
        BandwidthLimiter limiter,
        Action<long> bytesLanded,
        TimeProvider time,
        CancellationToken cancellationToken,
        long resumeFrom = 0,
        TransferCheckpoint? checkpoint = null)
    {
        var alignment = (int)Math.Max(Math.Max(source.Alignment, target.Alignment), 1);
        var largest = (int)Math.Min(source.MaxRequest, target.MaxRequest) / alignment * alignment;
        var requestSize = Math.Clamp(settings.RequestSize / alignment * alignment, alignment, Math.Max(alignment, largest));
        var remaining = resumeFrom > 0 ? Clip(areas, resumeFrom) : areas;
        var requests = TransferRequests.Plan(remaining, source.CapacityBytes, requestSize, alignment);

        if (fullSync && !target.StartsZeroed)
        {
            foreach (var gap in TransferRequests.Gaps(requests, source.CapacityBytes).Where(g => g.End > resumeFrom))
            {
                var start = Math.Max(gap.Offset, resumeFrom / alignment * alignment);
                await target.WriteZeroesAsync(start, gap.End - start, cancellationToken);
            }
        }

        var progress = new CompletionTracker(requests, target, checkpoint, time, settings.CheckpointInterval);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var next = -1;
        Exception? firstFailure = null;
        var skipZeroes = fullSync && target.StartsZeroed;

        async Task WorkerAsync()
        {
            var buffer = ArrayPool<byte>.Shared.Rent(requestSize);
            try
            {
                int index;
                while ((index = Interlocked.Increment(ref next)) < requests.Count)
                {
                    var request = requests[index];
                    await limiter.WaitAsync(request.Length, failed.Token);
                    var chunk = buffer.AsMemory(0, request.Length);
                    await source.ReadAsync(request.Offset, chunk, failed.Token);
                    if (chunk.Span.IndexOfAnyExcept((byte)0) >= 0)
                    {
                        await target.WriteAsync(request.Offset, chunk, failed.Token);
                    }
                    else if (!skipZeroes)
                    {
                        await target.WriteZeroesAsync(request.Offset, request.Length, failed.Token);
                    }

                    bytesLanded(request.PlannedBytes);
                    await progress.CompletedAsync(index, failed.Token);
                }
            }
            catch (Exception ex)
            {
                // The first failure in time is the cause; the others are its echoes (cancelled, connection closed).
                Interlocked.CompareExchange(ref firstFailure, ex, null);
                await failed.CancelAsync();
                throw;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        var workers = Enumerable.Range(0, Math.Clamp(settings.RequestsInFlight, 1, Math.Max(1, requests.Count))).Select(_ => Task.Run(WorkerAsync, CancellationToken.None)).ToArray();
        try
        {
            await Task.WhenAll(workers);
        }
        catch when (firstFailure is not null and not OperationCanceledException)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(firstFailure);
        }

        await target.FlushAsync(cancellationToken);
        if (checkpoint is not null)
        {
            await checkpoint(source.CapacityBytes, cancellationToken);
        }
    }

    private static List<DiskArea> Clip(IReadOnlyList<DiskArea> areas, long from) =>
        [.. areas.Where(a => a.End > from).Select(a => a.Offset >= from ? a : new DiskArea(from, a.End - from))];

    /// <summary>
    /// Requests complete out of order; the checkpoint is the end of the longest run of completed requests from the
    /// start, flushed before it is recorded.
    /// </summary>
    private sealed class CompletionTracker(IReadOnlyList<TransferRequest> requests, ITargetDisk target, TransferCheckpoint? checkpoint,
        TimeProvider time, TimeSpan interval)
    {
        private readonly Lock _gate = new();
        private readonly bool[] _done = new bool[requests.Count];
        private int _prefix;
        private long _lastCheckpoint = time.GetTimestamp();
        private bool _checkpointRunning;

        public async ValueTask CompletedAsync(int index, CancellationToken cancellationToken)
        {
            if (checkpoint is null)
            {
                return;
            }

            int prefix;
            lock (_gate)
            {
                _done[index] = true;
                while (_prefix < _done.Length && _done[_prefix])
                {
                    _prefix++;
                }

                if (_checkpointRunning || _prefix == 0 || time.GetElapsedTime(_lastCheckpoint) < interval)
                {
                    return;
                }

                _checkpointRunning = true;
                prefix = _prefix;
            }

            try
            {
                await target.FlushAsync(cancellationToken);
                await checkpoint(requests[prefix - 1].End, cancellationToken);
            }
            finally
            {
                lock (_gate)
                {
                    _checkpointRunning = false;
                    _lastCheckpoint = time.GetTimestamp();
                }
            }
        }
    }
}
