using Microsoft.Extensions.DependencyInjection;
using Migration.Benchmarks.Pipeline;
using System.Diagnostics;
using System.Globalization;
using Migration.Contracts.Vma;
using Migration.VmaAgent.Configuration;
using Migration.VmaAgent.Jobs;
using Migration.VmaAgent.Nbd;
using Migration.VmaAgent.Sources;
using Migration.VmaAgent.Targets;
using Migration.VmaAgent.Transfer;
using Microsoft.Extensions.Options;

namespace Migration.Benchmarks.Nbd;

/// <summary>
/// <c>nbd --size 1GiB [--rounds 5] [--overhead-rounds 5] [--request-size 256KiB] [--in-flight 64] [--connections 4] [--flush-behind 64MiB] [--ours-only]</c>:
/// our transfer engine against nbdcopy over the same nbdkit file exports on unix sockets, alternating, several rounds
/// after an unrecorded warm-up of each copy. The source mixes data, zero-filled data and holes per 1 MiB extent. Full
/// copy: both onto a fresh sparse target; nbdcopy with <c>--destination-is-zero</c>, ours planning the source's
/// allocated extents (what CBT "*" gives). Incremental: 10 % of the disk changed in scattered areas, onto the target
/// the full copy left; ours is given the areas, nbdcopy the same areas as the only data extents of the source
/// (nbdkit's extentlist filter) with <c>--destination-is-zero</c> so it skips the rest, in one invocation. Throughput
/// is planned bytes over wall time for both, so the ratio is a ratio of times.
/// <c>--ours-only</c> runs only our full copies (for a profiler attached to this process) with this process's CPU time and GC counts, then nbdcopy full copies with their CPU time, with and without --flush; it prints no ratio.
/// </summary>
/// <remarks>
/// The ratio lines compare against <c>nbdcopy --flush</c>: each copy of ours ends with a flush (the resume journal
/// records only areas written and flushed), so it ends durable, and nbdcopy's default ends with the data still in the
/// target's cache. <c>--flush</c> is one flush at the end of each invocation, full and incremental alike, as ours.
/// nbdcopy without <c>--flush</c> runs in every round too; its comparison is printed after the standard lines.
/// <c>--overhead-rounds</c> adds pairs of our full copy with and without progress tracking after the rounds, so the
/// overhead line's medians rest on more copies than the ratio lines.
/// </remarks>
public static class NbdCopyBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var size = ByteSize.Parse(Arg(args, "--size", "1GiB")).Bytes;
        var rounds = int.Parse(Arg(args, "--rounds", "5"), CultureInfo.InvariantCulture);
        var requestSize = (int)ByteSize.Parse(Arg(args, "--request-size", "256KiB")).Bytes;
        var inFlight = int.Parse(Arg(args, "--in-flight", "64"), CultureInfo.InvariantCulture);
        var connections = int.Parse(Arg(args, "--connections", "4"), CultureInfo.InvariantCulture);
        var overheadRounds = int.Parse(Arg(args, "--overhead-rounds", "5"), CultureInfo.InvariantCulture);
        var oursOnly = args.Contains("--ours-only");
        const long extent = 1 << 20;
        if (size % extent != 0)
        {
            throw new BenchmarkSetupException("--size must be a multiple of 1 MiB");
        }

        var directory = Path.Combine(Path.GetTempPath(), "nbd-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        try
        {
            var source = Path.Combine(directory, "source.img");
            var target = Path.Combine(directory, "target.img");
            var (allocated, changed) = CreateSource(source, size, extent);
            var changeList = Path.Combine(directory, "changes.txt");
            await File.WriteAllLinesAsync(changeList, changed.Select(a => string.Create(CultureInfo.InvariantCulture, $"{a.Offset} {a.Length}")));
            var settings = new TransferSettings(requestSize, inFlight, TimeSpan.FromDays(1))
            {
                FlushBehindBytes = args.Contains("--flush-behind") ? ByteSize.Parse(Arg(args, "--flush-behind", "64MiB")).Bytes : TransferSettings.Default.FlushBehindBytes,
            };
            var allocatedBytes = allocated.Sum(a => a.Length);
            var changedBytes = changed.Sum(a => a.Length);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"nbd benchmark: {size >> 20} MiB source ({allocatedBytes >> 20} MiB allocated, of which zero-filled data included; the rest holes), incremental {changedBytes >> 20} MiB in {changed.Count} areas, {rounds} rounds{(oursOnly ? "" : $" (+{overheadRounds} tracking on/off pairs)")}, ours {requestSize >> 10} KiB x {inFlight} in flight, up to {connections} connections, flush-behind {settings.FlushBehindBytes >> 20} MiB{(oursOnly ? "" : "; compared against nbdcopy --flush (both end durable)")}"));

            await using var sourceExport = await StartNbdkitAsync(Path.Combine(directory, "src.sock"), "-r", "file", "file=" + source);
            await using var changedExport = await StartNbdkitAsync(Path.Combine(directory, "chg.sock"), "-r", "--filter=extentlist", "file", "file=" + source, "extentlist=" + changeList);
            var results = new Dictionary<string, List<double>>();
            void Record(string name, long bytes, TimeSpan elapsed)
            {
                var mibps = bytes / 1048576.0 / elapsed.TotalSeconds;
                (results.TryGetValue(name, out var list) ? list : results[name] = []).Add(mibps);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-30} {elapsed.TotalSeconds,7:0.000} s  {mibps,8:0.0} MiB/s"));
            }

            // Unrecorded copies first, full and incremental, of each: JIT and page cache warm for both sides alike.
            await using (var warm = await FreshTargetAsync(directory, target, size))
            {
                await OursAsync(sourceExport.Uri, warm.Uri, allocated, fullSync: true, settings, connections, tracking: true);
                await OursAsync(changedExport.Uri, warm.Uri, changed, fullSync: false, settings, connections, tracking: true);
            }

            await using (var warm = await FreshTargetAsync(directory, target, size))
            {
                await NbdcopyAsync(Libnbd(sourceExport), Libnbd(warm), flush: true);
                await NbdcopyAsync(Libnbd(changedExport), Libnbd(warm), flush: true);
            }

            if (oursOnly)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ours only (pid {Environment.ProcessId})"));
                for (var round = 1; round <= rounds; round++)
                {
                    await using var targetExport = await FreshTargetAsync(directory, target, size);
                    var (cpu, gcs, allocatedBefore) = (Process.GetCurrentProcess().TotalProcessorTime, GC.CollectionCount(0), GC.GetTotalAllocatedBytes());
                    var (setup, flush) = (TimeSpan.Zero, TimeSpan.Zero);
                    var elapsed = await OursAsync(sourceExport.Uri, targetExport.Uri, allocated, fullSync: true, settings, connections, tracking: true,
                        (s, f) => (setup, flush) = (s, f));
                    Record("ours full", allocatedBytes, elapsed);
                    var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"    cpu {used.TotalSeconds:0.000} s ({used / elapsed * 100:0} % of one core), {GC.CollectionCount(0) - gcs} gen0 GCs, {(GC.GetTotalAllocatedBytes() - allocatedBefore) >> 10} KiB allocated; connect and open {setup.TotalSeconds:0.000} s, flushes {flush.TotalSeconds:0.000} s"));
                }

                // nbdcopy's own CPU for comparison (GNU time's user + system seconds of the child).
                // With --flush as well: ours always ends with a flush (the checkpoint and resume rest on it); nbdcopy's default does not.
                for (var round = 1; round <= 6; round++)
                {
                    var flush = round % 2 == 0;
                    await using var targetExport = await FreshTargetAsync(directory, target, size);
                    var (elapsed, cpu) = await TimedNbdcopyAsync(Libnbd(sourceExport), Libnbd(targetExport), flush);
                    Record(flush ? "nbdcopy full --flush" : "nbdcopy full", allocatedBytes, elapsed);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    cpu {cpu:0.000} s ({cpu / elapsed.TotalSeconds * 100:0} % of one core)"));
                }

                return 0;
            }

            string[] tools = ["ours", "nbdcopy --flush", "nbdcopy"];
            for (var round = 1; round <= rounds; round++)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round}"));
                // Each tool goes first, second and last in turn.
                foreach (var who in Enumerable.Range(0, tools.Length).Select(i => tools[(i + round - 1) % tools.Length]))
                {
                    await using var targetExport = await FreshTargetAsync(directory, target, size);
                    var full = who == "ours"
                        ? await OursAsync(sourceExport.Uri, targetExport.Uri, allocated, fullSync: true, settings, connections, tracking: true)
                        : await NbdcopyAsync(Libnbd(sourceExport), Libnbd(targetExport), flush: who != "nbdcopy");
                    Record(Name(who, "full"), allocatedBytes, full);
                    var incremental = who == "ours"
                        ? await OursAsync(changedExport.Uri, targetExport.Uri, changed, fullSync: false, settings, connections, tracking: true)
                        : await NbdcopyAsync(Libnbd(changedExport), Libnbd(targetExport), flush: who != "nbdcopy");
                    Record(Name(who, "incremental"), changedBytes, incremental);
                    await VerifyAsync(source, target, who);
                }

                await using (var targetExport = await FreshTargetAsync(directory, target, size))
                {
                    Record("ours full, tracking off", allocatedBytes,
                        await OursAsync(sourceExport.Uri, targetExport.Uri, allocated, fullSync: true, settings, connections, tracking: false));
                }
            }

            // The overhead line compares two medians of copies that swing by ±10 % each: more pairs, alternating which goes first.
            var trackedFull = new List<double>(results["ours full"]);
            if (overheadRounds > 0)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{overheadRounds} more pairs of our full copy, progress tracking on and off"));
            }

            for (var pair = 1; pair <= overheadRounds; pair++)
            {
                foreach (var tracking in pair % 2 == 1 ? new[] { true, false } : [false, true])
                {
                    await using var targetExport = await FreshTargetAsync(directory, target, size);
                    var elapsed = await OursAsync(sourceExport.Uri, targetExport.Uri, allocated, fullSync: true, settings, connections, tracking);
                    Record(tracking ? "ours full, tracking on (pair)" : "ours full, tracking off", allocatedBytes, elapsed);
                }
            }

            if (overheadRounds > 0)
            {
                trackedFull.AddRange(results["ours full, tracking on (pair)"]);
            }

            double Median(string name) => MedianOf(results[name]);

            var oursFull = Median("ours full");
            var oursIncremental = Median("ours incremental");
            var (durableFull, durableIncremental) = (Median("nbdcopy full --flush"), Median("nbdcopy incremental --flush"));
            var (cachedFull, cachedIncremental) = (Median("nbdcopy full"), Median("nbdcopy incremental"));
            var oursTracked = MedianOf(trackedFull);
            var oursOff = Median("ours full, tracking off");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"median MiB/s: ours full {oursFull:0.0}, nbdcopy --flush full {durableFull:0.0}, ours incremental {oursIncremental:0.0}, nbdcopy --flush incremental {durableIncremental:0.0}; nbdcopy without --flush full {cachedFull:0.0}, incremental {cachedIncremental:0.0}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio ours/nbdcopy (full): {oursFull / durableFull:0.00}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio ours/nbdcopy (incremental): {oursIncremental / durableIncremental:0.00}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ours full with progress tracking off: {oursOff:0.0} MiB/s"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"tracking overhead: {(oursOff - oursTracked) / oursOff * 100:0.0} % (medians of {trackedFull.Count} copies on, {results["ours full, tracking off"].Count} off)"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"versus nbdcopy without --flush (not durable): full {oursFull / cachedFull:0.00}x, incremental {oursIncremental / cachedIncremental:0.00}x"));
            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static double MedianOf(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string Name(string who, string copy) => who == "nbdcopy --flush" ? $"nbdcopy {copy} --flush" : $"{who} {copy}";

    /// <summary>Per 1 MiB extent: 50 % random data, 15 % zero-filled but allocated data, 35 % holes; 10 % of the disk changes later.</summary>
    private static (List<DiskArea> Allocated, List<DiskArea> Changed) CreateSource(string path, long size, long extent)
    {
        var random = new Random(20261201);
        var allocated = new List<DiskArea>();
        var buffer = new byte[extent];
        using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 20))
        {
            file.SetLength(size);
            for (long offset = 0; offset < size; offset += extent)
            {
                var kind = random.Next(100);
                if (kind >= 65 && offset > 0)
                {
                    continue;
                }

                if (kind < 50 || offset == 0)
                {
                    random.NextBytes(buffer);
                }
                else
                {
                    Array.Clear(buffer);
                }

                file.Position = offset;
                file.Write(buffer);
                allocated.Add(new DiskArea(offset, extent));
            }
        }

        var changedBlocks = new SortedSet<long>();
        var blocks = size / (64 << 10);
        while (changedBlocks.Count < blocks / 10)
        {
            var start = random.NextInt64(blocks);
            var run = random.Next(1, 17);
            for (var b = start; b < Math.Min(blocks, start + run); b++)
            {
                changedBlocks.Add(b);
            }
        }

        return (Merge(allocated), [.. DiskAreas.FromBlocks(changedBlocks, 64 << 10)]);
    }

    private static List<DiskArea> Merge(List<DiskArea> areas)
    {
        var merged = new List<DiskArea>();
        foreach (var area in areas)
        {
            if (merged.Count > 0 && merged[^1].End == area.Offset)
            {
                merged[^1] = new DiskArea(merged[^1].Offset, merged[^1].Length + area.Length);
            }
            else
            {
                merged.Add(area);
            }
        }

        return merged;
    }

    private static async Task<NbdkitProcess> StartNbdkitAsync(string socket, params string[] arguments)
    {
        try
        {
            return await NbdkitProcess.StartAsync("nbdkit", socket, arguments, TimeSpan.FromSeconds(15), CancellationToken.None);
        }
        catch (NbdException ex)
        {
            throw new BenchmarkSetupException(ex.Message);
        }
    }

    /// <summary>The export's URI as libnbd's tools take it.</summary>
    private static string Libnbd(NbdkitProcess export) => "nbd+unix:///?socket=" + export.SocketPath;

    private static async Task<NbdkitProcess> FreshTargetAsync(string directory, string target, long size)
    {
        File.Delete(target);
        await using (var file = File.Create(target))
        {
            file.SetLength(size);
        }

        return await StartNbdkitAsync(Path.Combine(directory, "dst.sock"), "file", "file=" + target);
    }

    private static async Task<TimeSpan> OursAsync(Uri sourceUri, Uri targetUri, IReadOnlyList<DiskArea> areas, bool fullSync,
        TransferSettings settings, int connections, bool tracking, Action<TimeSpan, TimeSpan>? phases = null)
    {
        var options = Options.Create(new VmaOptions { Nbd = { Connections = connections } });
        var clock = Stopwatch.StartNew();
        await using var sourceClient = await NbdClient.ConnectAsync(NbdAddress.Parse(sourceUri), options.Value.Nbd, TimeProvider.System, CancellationToken.None);
        var source = new NbdSourceDisk("disk-0", sourceClient);
        await using var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new Migration.VmaAgent.Telemetry.VmaMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), TimeProvider.System);
        ITargetDisk opened = await new NbdTargetProvider(options, TimeProvider.System, metrics).OpenAsync(targetUri, source.CapacityBytes, fullSync, CancellationToken.None);
        var timing = phases is null ? null : new FlushTimingTarget(opened);
        await using var target = timing ?? opened;
        Action<long> landed = _ => { };
        if (tracking)
        {
            // The very counters the VMA's progress endpoint serves: one lock, a meter sample and a new snapshot per request.
            var vm = new SourceVm("bench", "vm-1", "00000000-0000-0000-0000-000000000001", [new SourceDiskInfo("disk-0", "Hard disk 1", source.CapacityBytes, 2000)]);
            var job = new ReplicationJob("bench", "", new StartReplicationRequest(), vm, TimeProvider.System, TimeSpan.FromSeconds(3), CancellationToken.None);
            job.SetPlannedAreas(0, "x/1", areas);
            job.StartDiskTransfer(0);
            landed = bytes => job.AddTransferred(0, bytes);
        }

        var setup = clock.Elapsed;
        await TransferEngine.CopyAsync(source, target, areas, fullSync, settings, BandwidthLimiter.Unlimited, landed, TimeProvider.System, CancellationToken.None);
        phases?.Invoke(setup, timing!.FlushTime);
        return clock.Elapsed;
    }

    private static async Task<TimeSpan> NbdcopyAsync(string source, string target, bool flush)
    {
        var (elapsed, exitCode, stderr) = await TimedAsync(
            "nbdcopy", ["--destination-is-zero", .. (flush ? (string[])["--flush"] : []), source, target], "nbdcopy did not start (is libnbd-bin installed?)");
        return exitCode == 0 ? elapsed : throw new BenchmarkSetupException($"nbdcopy failed: {stderr}");
    }

    private static async Task<(TimeSpan Elapsed, double CpuSeconds)> TimedNbdcopyAsync(string source, string target, bool flush)
    {
        var (elapsed, exitCode, stderr) = await TimedAsync(
            "/usr/bin/time", ["-f", "cpu %U %S", "nbdcopy", "--destination-is-zero", .. (flush ? (string[])["--flush"] : []), source, target], "GNU time did not start");
        var line = stderr.Split('\n').LastOrDefault(l => l.StartsWith("cpu ", StringComparison.Ordinal))
            ?? throw new BenchmarkSetupException($"nbdcopy under GNU time printed no times: {stderr}");
        var parts = line.Split(' ');
        return exitCode == 0
            ? (elapsed, double.Parse(parts[1], CultureInfo.InvariantCulture) + double.Parse(parts[2], CultureInfo.InvariantCulture))
            : throw new BenchmarkSetupException($"nbdcopy failed: {stderr}");
    }

    /// <summary>Runs a command to its end: its wall time, exit code and standard error.</summary>
    private static async Task<(TimeSpan Elapsed, int ExitCode, string Stderr)> TimedAsync(string command, string[] arguments, string notStarted)
    {
        var info = new ProcessStartInfo(command) { UseShellExecute = false, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new BenchmarkSetupException(notStarted);
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var elapsed = clock.Elapsed;
        return (elapsed, process.ExitCode, await stderr);
    }

    /// <summary>After full + incremental the target must equal the source (the changed areas were rewritten with the same bytes).</summary>
    private static async Task VerifyAsync(string source, string target, string who)
    {
        var info = new ProcessStartInfo("cmp", [source, target]) { UseShellExecute = false, RedirectStandardOutput = true };
        using var process = Process.Start(info)!;
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new BenchmarkSetupException($"after {who}'s copies the target differs from the source: {await process.StandardOutput.ReadToEndAsync()}");
        }
    }

    private static string Arg(string[] args, string name, string fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }
}
