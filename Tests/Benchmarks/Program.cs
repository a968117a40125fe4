using Migration.Benchmarks.Pipeline;

namespace Migration.Benchmarks;

/// <summary>
/// <c>pipeline --jobs N [--seconds S] [--transport RabbitMq|InMemory] [--no-throttle] [--poll-batch N]</c>: the whole system under N
/// concurrent simulated jobs; <c>vma-progress</c>: the VMA progress endpoint alone; <c>vma-vs-kestrel</c>: that endpoint
/// against bare Kestrel serving the same bytes. Run in Release.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var command = args.Length > 0 ? args[0] : "";
        var rest = args.Skip(1).ToArray();
        try
        {
            return command switch
            {
                "pipeline" => await PipelineLoad.RunAsync(rest),
                "vma-progress" => await VmaProgressLoad.RunAsync(rest),
                "nbd" => await Nbd.NbdCopyBenchmark.RunAsync(rest),
                Eta.EtaAccuracy.Command => await Eta.EtaAccuracy.RunAsync(rest),
                "archive" => await Archive.ArchiveBenchmark.RunAsync(rest),
                Chaos.ChaosCommand.Command => await Chaos.ChaosCommand.RunAsync(rest),
                EmbeddedHost.Command => await EmbeddedHost.RunAsync(rest),
                Kestrel.ProgressVsKestrel.Command => await Kestrel.ProgressVsKestrel.RunAsync(rest),
                Kestrel.BareKestrelHost.Command => await Kestrel.BareKestrelHost.RunAsync(rest),
                _ => Usage(),
            };
        }
        catch (BenchmarkSetupException ex)
        {
            await Console.Error.WriteLineAsync("error: " + ex.Message);
            return 2;
        }
    }

    private static int Usage()
    {
        Console.Error.WriteLine("""
            usage: dotnet run -c Release --project Tests/Benchmarks -- pipeline --jobs N [--seconds S] [--warmup S]
                       [--transport RabbitMq|InMemory] [--no-throttle] [--poll-batch N] [--ceiling-seconds 10] [--out FILE] [--keep]
                   dotnet run -c Release --project Tests/Benchmarks -- vma-progress [--jobs 100 --rate 1000 --duration 20 --timeline]
                   dotnet run -c Release --project Tests/Benchmarks -- nbd --size 1GiB [--rounds 5 --request-size 256KiB --in-flight 64]
                   dotnet run -c Release --project Tests/Benchmarks -- eta [--disk-size 192MiB --rate 4MiB --eta-window 00:00:10 --out FILE]
                   dotnet run -c Release --project Tests/Benchmarks -- vma-vs-kestrel [--jobs 100 --rounds 3 --seconds 10 --connections 32]
                   dotnet run -c Release --project Tests/Benchmarks -- archive --rows 1000000 [--batch-size 1000 --runs 20]
                   dotnet run -c Release --project Tests/Benchmarks -- chaos --jobs 500 [--disk-size 4MiB --cap 20KiB --worker-kill-every 10
                       --worker-down 1 --scheduler-a-at 15 --rabbit-at 30 --postgres-at 65 --postgres-down 20 --vma-at 100
                       --scheduler-b-at 125 --drain 480 --port-base 57000 --contact-timeout 00:05:00 --poll-batch 1 --keep]
            pipeline on RabbitMq and chaos need the MIGRATION_TEST_* variables of scripts/servers.sh (servers_env); see run-pipeline.sh.
            """);
        return 2;
    }
}
