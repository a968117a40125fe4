using System.Buffers;
using Migration.VmaAgent.Sources;
using Migration.VmaAgent.Targets;

namespace Migration.VmaAgent.Transfer;

/// <summary>
/// Moves one disk's planned areas from a source snapshot to a target: aligned requests, several in flight, one
/// pooled buffer each (memory is bounded by their product). A request that reads as zeros becomes a zero write, or
/// nothing at all on a full sync to a target that already reads as zeros. Progress is reported per completed
/// request, in planned bytes only; flushed checkpoints name the offset below which everything is durable.
/// When <c>stopping</c> fires (a graceful VMA stop) no new request starts; those in flight finish, the target is
/// flushed, the checkpoint records how far it is durable, and the copy ends with <see cref="OperationCanceledException"/>
/// so that the next VMA start resumes from there. <c>cancellationToken</c> still aborts at once.
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
        TransferCheckpoint? checkpoint = null,
        Action<long>? replayed = null,
        CancellationToken stopping = default)
    {
        var alignment = (int)Math.Max(Math.Max(source.Alignment, target.Alignment), 1);
        var largest = (int)Math.Min(source.MaxRequest, target.MaxRequest) / alignment * alignment;
        var requestSize = Math.Clamp(settings.RequestSize / alignment * alignment, alignment, Math.Max(alignment, largest));
        var remaining = resumeFrom > 0 ? Clip(areas, resumeFrom) : areas;
        var requests = TransferRequests.Plan(remaining, source.CapacityBytes, requestSize, alignment);

        if (fullSync && !target.StartsZeroed)
        {
            var gaps = TransferRequests.Gaps(requests, source.CapacityBytes).Where(g => g.End > resumeFrom).ToList();
            for (var generation = target.Generation; ; generation = target.Generation)
            {
                foreach (var gap in gaps)
                {
                    var start = Math.Max(gap.Offset, resumeFrom / alignment * alignment);
                    await target.WriteZeroesAsync(start, gap.End - start, cancellationToken);
                }

                // Zeroes acknowledged by a server that then crashed may be lost, like any unflushed write.
                if (gaps.Count == 0 || await FlushedInAsync(target, generation, cancellationToken))
                {
                    break;
                }
            }
        }

        var progress = new CompletionTracker(requests, target, checkpoint, time, settings.CheckpointInterval, settings.FlushBehindBytes);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var failedOrStopping = CancellationTokenSource.CreateLinkedTokenSource(failed.Token, stopping);
        var next = -1;
        Exception? firstFailure = null;
        var skipZeroes = fullSync && target.StartsZeroed;

        async Task WorkerAsync(Func<int> take, bool counts)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(requestSize);
            try
            {
                int index;
                while ((index = take()) >= 0)
                {
                    var request = requests[index];
                    try
                    {
                        await limiter.WaitAsync(request.Length, failedOrStopping.Token);
                    }
                    catch (OperationCanceledException) when (stopping.IsCancellationRequested && !failed.IsCancellationRequested)
                    {
                        // Nothing of this request was read yet: it is left to the resume.
                        return;
                    }

                    var chunk = buffer.AsMemory(0, request.Length);
                    await source.ReadAsync(request.Offset, chunk, failed.Token);
                    var generation = target.Generation;
                    if (chunk.Span.IndexOfAnyExcept((byte)0) >= 0)
                    {
                        await target.WriteAsync(request.Offset, chunk, failed.Token);
                        progress.Written(index, generation, failed.Token);
                    }
                    else if (!skipZeroes)
                    {
                        await target.WriteZeroesAsync(request.Offset, request.Length, failed.Token);
                        progress.Written(index, generation, failed.Token);
                    }
                    else
                    {
                        progress.NothingToWrite(index);
                    }

                    if (counts)
                    {
                        bytesLanded(request.PlannedBytes);
                    }

                    await progress.CompletedAsync(failed.Token);
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

        async Task RunAsync(int count, Func<int> take, bool counts)
        {
            var workers = Enumerable.Range(0, Math.Clamp(settings.RequestsInFlight, 1, Math.Max(1, count)))
                .Select(_ => Task.Run(() => WorkerAsync(take, counts), CancellationToken.None)).ToArray();
            try
            {
                await Task.WhenAll(workers);
            }
            catch when (firstFailure is not null and not OperationCanceledException)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(firstFailure);
            }
        }

        await RunAsync(requests.Count, () => !stopping.IsCancellationRequested && Interlocked.Increment(ref next) is var i && i < requests.Count ? i : -1, counts: true);
        if (stopping.IsCancellationRequested && Volatile.Read(ref next) < requests.Count - 1)
        {
            await progress.CheckpointNowAsync(cancellationToken);
            throw new OperationCanceledException("the copy stopped for a VMA shutdown; its checkpoint is written", stopping);
        }

        // Writes a crashed server acknowledged but never flushed are sent again (they were counted once already).
        for (var round = 1; ; round++)
        {
            var lost = await progress.FlushAllAsync(cancellationToken);
            if (lost.Count == 0)
            {
                break;
            }

            if (round > MaxReplayRounds)
            {
                throw new IOException($"the target lost acknowledged writes {MaxReplayRounds} times (its connection was replaced during every flush)");
            }

            replayed?.Invoke(lost.Sum(i => (long)requests[i].Length));
            var queue = new System.Collections.Concurrent.ConcurrentQueue<int>(lost);
            await RunAsync(lost.Count, () => queue.TryDequeue(out var i) ? i : -1, counts: false);
        }

        if (checkpoint is not null)
        {
            await checkpoint(source.CapacityBytes, cancellationToken);
        }
    }

    private const int MaxReplayRounds = 5;

    /// <summary>True when a flush ran wholly in <paramref name="generation"/>: it covers what that connection acknowledged.</summary>
    private static async Task<bool> FlushedInAsync(ITargetDisk target, long generation, CancellationToken cancellationToken)
    {
        await target.FlushAsync(cancellationToken);
        return target.Generation == generation;
    }

    private static List<DiskArea> Clip(IReadOnlyList<DiskArea> areas, long from) =>
        [.. areas.Where(a => a.End > from).Select(a => a.Offset >= from ? a : new DiskArea(from, a.End - from))];

    /// <summary>
    /// Requests complete out of order. A written request is durable once a flush ran wholly in the connection generation
    /// it was written in (a flush on a server that came back does not cover what the crashed one acknowledged); the
    /// checkpoint is the end of the longest run of durable requests from the start.
    /// </summary>
    private sealed class CompletionTracker(IReadOnlyList<TransferRequest> requests, ITargetDisk target, TransferCheckpoint? checkpoint,
        TimeProvider time, TimeSpan interval, long flushBehindBytes)
    {
        private const long NotWritten = long.MinValue;
        private readonly Lock _gate = new();
        private readonly long[] _generation = Enumerable.Repeat(NotWritten, requests.Count).ToArray();
        private readonly bool[] _durable = new bool[requests.Count];
        private int _prefix;
        private long _lastCheckpoint = time.GetTimestamp();
        private bool _checkpointRunning;
        private long _unflushedBytes;
        private int _flushBehindRunning;
        private Task _flushBehind = Task.CompletedTask;
        private Exception? _flushBehindFailure;

        /// <summary>Written while the target was in <paramref name="generation"/> (read before the write was sent).</summary>
        public void Written(int index, long generation, CancellationToken cancellationToken)
        {
            Volatile.Write(ref _generation[index], target.Generation == generation ? generation : -1);
            if (flushBehindBytes > 0 && Interlocked.Add(ref _unflushedBytes, requests[index].Length) >= flushBehindBytes
                && Interlocked.CompareExchange(ref _flushBehindRunning, 1, 0) == 0)
            {
                Interlocked.Exchange(ref _unflushedBytes, 0);
                _flushBehind = FlushBehindAsync(cancellationToken);
            }
        }

        /// <summary>A flush the copy does not wait for; its failure ends the copy at the next completed request.</summary>
        private async Task FlushBehindAsync(CancellationToken cancellationToken)
        {
            try
            {
                // Off the worker that triggered it: that worker goes on with its next request at once.
                await Task.Yield();
                await FlushAsync(cancellationToken);
            }
            catch (Exception ex)
            {
                Interlocked.CompareExchange(ref _flushBehindFailure, ex, null);
            }
            finally
            {
                Volatile.Write(ref _flushBehindRunning, 0);
            }
        }

        /// <summary>Rethrows what a background flush failed with.</summary>
        private void ThrowIfFlushBehindFailed()
        {
            if (Volatile.Read(ref _flushBehindFailure) is { } failure)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
            }
        }

        /// <summary>Waits for the background flush to end, then rethrows what it failed with.</summary>
        private async Task AwaitFlushBehindAsync()
        {
            await Volatile.Read(ref _flushBehind);
            ThrowIfFlushBehindFailed();
        }

        public void NothingToWrite(int index)
        {
            lock (_gate)
            {
                _durable[index] = true;
            }
        }

        public async ValueTask CompletedAsync(CancellationToken cancellationToken)
        {
            ThrowIfFlushBehindFailed();
            // Every completed request asks: the common answer ("not yet") takes no lock.
            if (checkpoint is null || Volatile.Read(ref _checkpointRunning) || time.GetElapsedTime(Volatile.Read(ref _lastCheckpoint)) < interval)
            {
                return;
            }

            lock (_gate)
            {
                if (_checkpointRunning || time.GetElapsedTime(_lastCheckpoint) < interval)
                {
                    return;
                }

                _checkpointRunning = true;
            }

            try
            {
                if (await FlushAsync(cancellationToken) && Prefix() is > 0 and var prefix)
                {
                    await checkpoint(requests[prefix - 1].End, cancellationToken);
                }
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

        /// <summary>Flushes what was written and records the durable prefix now (a graceful stop), however recent the last checkpoint.</summary>
        public async Task CheckpointNowAsync(CancellationToken cancellationToken)
        {
            await AwaitFlushBehindAsync();
            if (checkpoint is not null && await FlushAsync(cancellationToken) && Prefix() is > 0 and var prefix)
            {
                await checkpoint(requests[prefix - 1].End, cancellationToken);
            }
        }

        /// <summary>Flushes until a flush runs in one generation; returns the requests that are still not durable.</summary>
        public async Task<List<int>> FlushAllAsync(CancellationToken cancellationToken)
        {
            await AwaitFlushBehindAsync();
            for (var attempt = 1; !await FlushAsync(cancellationToken); attempt++)
            {
                if (attempt >= MaxReplayRounds)
                {
                    throw new IOException($"the target's connection was replaced during each of {attempt} flushes");
                }
            }

            lock (_gate)
            {
                return [.. Enumerable.Range(0, _durable.Length).Where(i => !_durable[i])];
            }
        }

        private async Task<bool> FlushAsync(CancellationToken cancellationToken)
        {
            var generation = target.Generation;
            List<int> covered;
            lock (_gate)
            {
                covered = [.. Enumerable.Range(0, _durable.Length).Where(i => !_durable[i] && Volatile.Read(ref _generation[i]) == generation)];
            }

            if (!await FlushedInAsync(target, generation, cancellationToken))
            {
                return false;
            }

            lock (_gate)
            {
                foreach (var index in covered)
                {
                    _durable[index] = true;
                }
            }

            return true;
        }

        private int Prefix()
        {
            lock (_gate)
            {
                while (_prefix < _durable.Length && _durable[_prefix])
                {
                    _prefix++;
                }

                return _prefix;
            }
        }
    }
}
