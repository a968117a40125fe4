using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Migration.Contracts.Progress;
using Migration.Contracts.Status;
using Migration.Benchmarks.Pipeline;
using Migration.VmaAgent;

namespace Migration.Benchmarks.Eta;

/// <summary>
/// <c>eta [--disk-size 192MiB] [--rate 4MiB] [--eta-window 00:00:10] [--eta-change-after 00:00:00] [--out FILE]</c>: how right the ETA is. Real replications on the VMA
/// (simulated source, file targets) whose source read rate is changed mid-run through the simulator's
/// <c>PUT /api/v1/simulator/read-rate</c>; every progress document is recorded (poll every 100 ms, timed by its own
/// <c>updated_at</c>), and at the first document at or past 20, 50 and 80 % of the bytes the estimate is compared with
/// the time the transfer really took from there: error = |estimate − actual remaining| / actual remaining.
/// Two estimates: the VMA's <c>eta_seconds</c> (moving median over <c>Vma:Jobs:EtaWindow</c>) and the OMA's
/// (what <c>JobEta</c> makes of the job row: the VMA's estimate in whole seconds, blended with the VM's previous sync
/// as the OMA's cbt_history gives it, bytes over whole seconds of the job).
/// A checkpoint that a lasting change still lies ahead of cannot be right (no estimator sees a change before it
/// happens): it is printed with a <c>*</c> and counted apart from the target, which holds for every other checkpoint
/// from 20 % on. Runs last about a minute at the default size, several windows long, as a real sync does.
/// </summary>
public static class EtaAccuracy
{
    public const string Command = "eta";

    private static readonly double[] Points = [0.05, 0.10, 0.20, 0.50, 0.80];

    private sealed record RateChange(double AtFraction, double Factor, TimeSpan? For = null);

    private sealed record Scenario(string Name, bool Incremental, double InitialFactor, RateChange[] Changes)
    {
        /// <summary>Whether a lasting change happens at or after <paramref name="point"/>: the estimate there cannot know it.</summary>
        public bool LastingChangeAhead(double point) => Changes.Any(c => c.For is null && c.AtFraction >= point);
    }

    private sealed record Sample(DateTimeOffset At, long Transferred, long Total, long ThroughputBps, double? Eta);

    private sealed record Recording(Scenario Scenario, List<Sample> Samples, DateTimeOffset TransferEnd, double HistoryRate, Dictionary<string, string> ChangeIds);

    public static async Task<int> RunAsync(string[] args)
    {
        var diskSize = Arg(args, "--disk-size", "192MiB");
        var rate = (long)ParseSize(Arg(args, "--rate", "4MiB"));
        // The incremental changes the same share of each disk whatever its size: 96 areas of 256 KiB per 48 MiB.
        var changedAreas = (int)Math.Clamp(ParseSize(diskSize) / (48 * 1048576.0) * 96, 1, 100_000);
        var output = Arg(args, "--out", "");
        var etaWindow = Arg(args, "--eta-window", Migration.VmaAgent.Configuration.JobOptions.DefaultEtaWindow.ToString());
        var etaChangeAfter = Arg(args, "--eta-change-after", Migration.VmaAgent.Configuration.JobOptions.DefaultEtaChangeAfter.ToString());
        const string Vm = "demo-vm-3";
        Scenario[] scenarios =
        [
            new("steady", false, 1, []),
            new("halved at 50 % (lasting)", false, 1, [new(0.5, 0.5)]),
            new("doubled at 30 % (lasting)", false, 0.5, [new(0.3, 1)]),
            new("doubled at 10 % (lasting)", false, 0.5, [new(0.1, 1)]),
            new("halved at 10 % (lasting)", false, 1, [new(0.1, 0.5)]),
            new("dip to 1/4 for 3 s at 40 %", false, 1, [new(0.4, 0.25, TimeSpan.FromSeconds(3))]),
            new("incremental after a full", true, 1, []),
        ];

        var targets = Path.Combine(Path.GetTempPath(), "eta-bench-" + Guid.NewGuid().ToString("N")[..10]);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Vma:Simulated:VmCount"] = "3",
            ["Vma:Simulated:DiskSize"] = diskSize,
            ["Vma:Jobs:ThroughputCapPerJob"] = "0",
            ["Vma:Jobs:StageDelay"] = "00:00:00.100",
            ["Vma:Jobs:ChunkSize"] = "64KiB",
            ["Vma:Jobs:EtaWindow"] = etaWindow,
            ["Vma:Jobs:EtaChangeAfter"] = etaChangeAfter,
            ["Vma:Target:Directory"] = targets,
        });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddVmaAgent(builder.Configuration);
        await using var app = builder.Build();
        app.MapVmaAgent();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(10) };

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ETA accuracy: {Vm} (3 disks of {diskSize}), source read at {rate / 1048576.0:0.#} MiB/s unless a run changes it; Vma:Jobs:EtaWindow {etaWindow}, EtaChangeAfter {etaChangeAfter}"));
        var recordings = new List<Recording>();
        var csv = new StringBuilder("run,at,transferred,total,throughput_bps,eta_seconds\n");
        Recording? previous = null;
        try
        {
            foreach (var scenario in scenarios)
            {
                var recording = await RecordAsync(client, scenario, Vm, rate, changedAreas, previous);
                recordings.Add(recording);
                previous = recording;
                foreach (var s in recording.Samples)
                {
                    csv.Append(CultureInfo.InvariantCulture, $"\"{scenario.Name}\",{s.At:O},{s.Transferred},{s.Total},{s.ThroughputBps},{s.Eta}\n");
                }
            }
        }
        finally
        {
            try
            {
                Directory.Delete(targets, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        if (output.Length > 0)
        {
            await File.WriteAllTextAsync(output, csv.ToString());
        }

        Print(recordings);
        return 0;
    }

    private static async Task<Recording> RecordAsync(HttpClient client, Scenario scenario, string vm, long rate, int changedAreas, Recording? previous)
    {
        await SetRateAsync(client, (long)(rate * scenario.InitialFactor));
        var jobId = $"eta-{Guid.NewGuid():N}"[..20];
        string body;
        if (scenario.Incremental && previous is not null)
        {
            using var change = await client.PostAsync(new Uri($"/api/v1/simulator/vms/{vm}/changes", UriKind.Relative),
                new StringContent($$"""{"areas":{{changedAreas}},"area_bytes":262144,"seed":7}""", Encoding.UTF8, "application/json"));
            change.EnsureSuccessStatusCode();
            var ids = "{" + string.Join(",", previous.ChangeIds.Select(kv => $"\"{kv.Key}\":\"{kv.Value}\"")) + "}";
            body = $$"""{"job_id":"{{jobId}}","vm":{"name":"{{vm}}"},"sync_type":"incremental","previous_change_ids":{{ids}}}""";
        }
        else
        {
            body = $$"""{"job_id":"{{jobId}}","vm":{"name":"{{vm}}"},"sync_type":"full"}""";
        }

        using (var started = await client.PostAsync(new Uri("/api/v1/replications", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json")))
        {
            started.EnsureSuccessStatusCode();
        }

        var samples = new List<Sample>();
        var pending = new Queue<RateChange>(scenario.Changes);
        DateTimeOffset? restoreAt = null;
        ReplicationProgress document;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        while (true)
        {
            var json = await client.GetByteArrayAsync(new Uri($"/api/v1/progress/{jobId}", UriKind.Relative), timeout.Token);
            document = JsonSerializer.Deserialize(json, ProgressJsonContext.Default.ReplicationProgress)!;
            var a = document.Aggregate;
            if (document.Status == VmaJobStatus.Streaming && a.TotalBytes > 0 && (samples.Count == 0 || samples[^1].At != document.UpdatedAt))
            {
                samples.Add(new Sample(document.UpdatedAt, a.BytesTransferred, a.TotalBytes, a.ThroughputBps, a.EtaSeconds));
                var fraction = (double)a.BytesTransferred / a.TotalBytes;
                if (pending.TryPeek(out var next) && fraction >= next.AtFraction)
                {
                    pending.Dequeue();
                    await SetRateAsync(client, (long)(rate * next.Factor));
                    restoreAt = next.For is { } lasting ? DateTimeOffset.UtcNow + lasting : null;
                }
            }

            if (restoreAt is { } restore && DateTimeOffset.UtcNow >= restore)
            {
                await SetRateAsync(client, (long)(rate * scenario.InitialFactor));
                restoreAt = null;
            }

            if (StatusMapping.IsTerminal(document.Status))
            {
                break;
            }

            await Task.Delay(100, timeout.Token);
        }

        if (document.Status != VmaJobStatus.Succeeded)
        {
            throw new BenchmarkSetupException($"{scenario.Name}: the job ended {document.Status}: {document.Error}");
        }

        var end = samples.FirstOrDefault(s => s.Transferred >= s.Total)?.At ?? document.UpdatedAt;
        // What the OMA's cbt_history records: the sync's bytes over its whole seconds, started to completed.
        var seconds = Math.Max(1, Math.Round(((document.CompletedAt ?? document.UpdatedAt) - document.StartedAt).TotalSeconds));
        var changeIds = document.Disks.ToDictionary(d => d.Id, d => d.ChangeId ?? "");
        return new Recording(scenario, samples, end, document.Aggregate.TotalBytes / seconds, changeIds);
    }

    private static void Print(List<Recording> recordings)
    {
        Console.WriteLine("error = |estimate - actual remaining| / actual remaining, at the first progress document at or past each point");
        Console.WriteLine("* = a lasting change still lies ahead of that point: no estimate can know it, so it is counted apart");
        Console.WriteLine($"{"run",-30} {"estimate",-16} {"5 %",8} {"10 %",8} {"20 %",8} {"50 %",8} {"80 %",8}  seconds");
        var worst = new WorstErrors();
        Recording? previous = null;
        foreach (var recording in recordings)
        {
            var history = recording.Scenario.Incremental ? previous?.HistoryRate : null;
            var vma = Points.Select(p => Error(recording, p, s => s.Eta)).ToArray();
            var oma = Points.Select(p => Error(recording, p, s => OmaEstimate(s, history))).ToArray();
            var ahead = Points.Select(recording.Scenario.LastingChangeAhead).ToArray();
            var duration = (recording.TransferEnd - recording.Samples[0].At).TotalSeconds;
            Console.WriteLine(Row(recording.Scenario.Name, "vma eta_seconds", vma, ahead, duration));
            Console.WriteLine(Row("", history is null ? "oma (no history)" : "oma + history", oma, ahead, duration));
            worst.Add(vma, oma, ahead);
            previous = recording;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"eta error after 20 %, worst where no lasting change lies ahead (vma): {worst.Vma * 100:0.0} % (target < 10 %)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"eta error after 20 %, worst where no lasting change lies ahead (oma): {worst.Oma * 100:0.0} % (target < 10 %)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"eta error after 20 %, worst before a lasting change that is still ahead (vma, unforeseeable): {worst.Unforeseeable * 100:0.0} %"));
    }

    /// <summary>The worst errors from the 20 % point on, with the checkpoints before a lasting change kept apart.</summary>
    private sealed class WorstErrors
    {
        private const int FirstCounted = 2; // Points[2] is 20 %.

        public double Vma { get; private set; }

        public double Oma { get; private set; }

        public double Unforeseeable { get; private set; }

        public void Add(double?[] vma, double?[] oma, bool[] ahead)
        {
            for (var i = FirstCounted; i < ahead.Length; i++)
            {
                if (ahead[i])
                {
                    Unforeseeable = Math.Max(Unforeseeable, vma[i] ?? 0);
                    continue;
                }

                Vma = Math.Max(Vma, vma[i] ?? 0);
                Oma = Math.Max(Oma, oma[i] ?? 0);
            }
        }
    }

    /// <summary>What <c>JobEta</c> computes from the job row: the VMA's estimate as stored (whole seconds), blended with the history.</summary>
    private static double? OmaEstimate(Sample sample, double? history)
    {
        var remaining = sample.Total - sample.Transferred;
        double recent = sample.Eta is { } eta && Math.Ceiling(eta) > 0 ? remaining / Math.Ceiling(eta) : sample.ThroughputBps;
        return EtaEstimator.Seconds(sample.Total, sample.Transferred, recent, history);
    }

    private static double? Error(Recording recording, double point, Func<Sample, double?> estimate)
    {
        var sample = recording.Samples.FirstOrDefault(s => (double)s.Transferred / s.Total >= point && estimate(s) is not null);
        if (sample is null || estimate(sample) is not { } eta)
        {
            return null;
        }

        var actual = (recording.TransferEnd - sample.At).TotalSeconds;
        return actual <= 0 ? null : Math.Abs(eta - actual) / actual;
    }

    private static string Row(string name, string estimate, double?[] errors, bool[] ahead, double seconds) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{name,-30} {estimate,-16} {string.Join(" ", errors.Select((e, i) => Cell(e, ahead[i])))}  {seconds:0.0}");

    private static string Cell(double? error, bool lastingChangeAhead) =>
        (error is { } v ? string.Create(CultureInfo.InvariantCulture, $"{v * 100:0.0} %{(lastingChangeAhead ? "*" : "")}") : "–").PadLeft(8);

    private static async Task SetRateAsync(HttpClient client, long bytesPerSecond)
    {
        using var response = await client.PutAsJsonAsync(new Uri("/api/v1/simulator/read-rate", UriKind.Relative), new { bytes_per_second = bytesPerSecond });
        response.EnsureSuccessStatusCode();
    }

    private static string Arg(string[] args, string name, string fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }

    private static double ParseSize(string text) => Migration.VmaAgent.Configuration.ByteSize.Parse(text).Bytes;
}
