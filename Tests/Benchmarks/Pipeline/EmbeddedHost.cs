using System.Globalization;
using Microsoft.Extensions.Logging;
using Migration.Cli.Embedded;
using Migration.Contracts.Status;

namespace Migration.Benchmarks.Pipeline;

/// <summary>
/// The child process of <c>pipeline --transport InMemory</c>: the OMA side (Cli's <see cref="EmbeddedSystem"/> on the
/// in-memory bus and SQLite), idle until the driver writes <see cref="StartLine"/>, then starting N jobs on an
/// external VMA. Runs until its standard input closes or it is killed.
/// </summary>
public static class EmbeddedHost
{
    public const string Command = "embedded-host";
    public const string StartLine = "start";

    public static async Task<int> RunAsync(string[] arguments)
    {
        var args = new BenchmarkArgs(arguments);
        var jobs = args.Int("jobs", 0);
        var vmaUrl = new Uri(args.Option("vma-url") ?? throw new BenchmarkSetupException("--vma-url is required"));
        var database = args.Option("database") ?? throw new BenchmarkSetupException("--database is required");
        var urlFile = args.Option("url-file") ?? throw new BenchmarkSetupException("--url-file is required");

        var settings = new Dictionary<string, string?>
        {
            ["Bus:Transport"] = "InMemory",
            ["Database:Provider"] = "Sqlite",
            ["Database:ConnectionString"] = $"Data Source={database}",
            ["Vma:Simulated:VmCount"] = "0",
            ["Vma:Target:Directory"] = Path.Combine(Path.GetDirectoryName(database)!, "embedded-targets"),
        };
        foreach (var (key, value) in Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
                     .Select(e => ((string)e.Key, (string?)e.Value))
                     .Where(e => e.Item1.StartsWith("Tracking__", StringComparison.Ordinal)))
        {
            settings[key.Replace("__", ":", StringComparison.Ordinal)] = value;
        }

        await using var system = await EmbeddedSystem.StartAsync(settings, logging => logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));
        await File.WriteAllTextAsync(urlFile + ".tmp", system.VmaUrl.ToString());
        File.Move(urlFile + ".tmp", urlFile);

        while (await Console.In.ReadLineAsync() is { } line)
        {
            if (line == StartLine)
            {
                for (var i = 1; i <= jobs; i++)
                {
                    await system.StartReplicationAsync(
                        string.Create(CultureInfo.InvariantCulture, $"bench-{i}"),
                        string.Create(CultureInfo.InvariantCulture, $"demo-vm-{i}"),
                        SyncType.Full,
                        vmaUrl);
                }
            }
        }

        await system.StopAsync();
        return 0;
    }
}
