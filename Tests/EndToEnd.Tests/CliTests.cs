using Microsoft.Extensions.DependencyInjection;
using Migration.Contracts.Status;

namespace Migration.Tests.EndToEnd;

/// <summary>The operator's commands as a newcomer runs them: exit codes, and a clear refusal of bad input.</summary>
public sealed class CliTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "cli-" + Guid.NewGuid().ToString("N"));

    private string Db => Path.Combine(_root, "demo.db");

    public CliTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // left to the temp cleaner
        }
    }

    [Fact]
    public async Task Demo_over_nbd_exits_zero()
    {
        // nbdkit exports for every target disk and every snapshot disk; the demo compares each image with its source.
        Assert.Equal(0, await Cli.Program.Main(["demo", "--nbd", "--vms", "2", "--disk-size", "2MiB", "--db", Db, "--timeout-minutes", "3"]));
    }

    [Fact]
    public async Task Demo_exits_zero_and_jobs_history_and_watch_read_what_it_left()
    {
        Assert.Equal(0, await Cli.Program.Main(["demo", "--vms", "2", "--disk-size", "2MiB", "--db", Db, "--timeout-minutes", "3"]));

        Assert.Equal(0, await Cli.Program.Main(["jobs", "--db", Db]));
        Assert.Equal(0, await Cli.Program.Main(["history", "--db", Db, "--limit", "5"]));

        await using var services = Cli.CliSettings.ReadServices(Db);
        var jobs = await services.GetRequiredService<Oma.Persistence.IJobQueries>().GetJobsAsync(10, default);
        Assert.Equal(4, jobs.Count);
        Assert.All(jobs, j => Assert.Equal(StatusMapping.Completed, j.Status));
        Assert.Equal(0, await Cli.Program.Main(["watch", jobs[0].Id, "--db", Db]));

        // A hundred days later, everything the demo left is past a 90-day retention: archived, and the queries still run.
        var later = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(100));
        var configuration = Cli.CliSettings.Build(Cli.CliSettings.Database(Db));
        Assert.Equal(0, await Cli.Commands.ArchiveCommand.RunAsync(configuration, TimeSpan.FromDays(90), 2, TimeSpan.Zero, later, null, default));
        Assert.Empty(await services.GetRequiredService<Oma.Persistence.IJobQueries>().GetRecentCbtHistoryAsync(10, default));
        Assert.Equal(0, await Cli.Program.Main(["archive", "--older-than", "90d", "--db", Db]));
        Assert.Equal(0, await Cli.Program.Main(["jobs", "--db", Db]));
        Assert.Equal(0, await Cli.Program.Main(["history", "--db", Db]));
    }

    [Theory]
    [InlineData("demo", "--vms", "0")]
    [InlineData("demo", "--vms")]
    [InlineData("demo", "--colour", "blue")]
    [InlineData("frobnicate")]
    [InlineData("start", "--vm", "demo-vm-1")]
    [InlineData("history", "--db", "/nonexistent/folder/none.db")]
    [InlineData("demo", "--disk-size", "12Q")]
    [InlineData("demo", "--username", "u")]
    [InlineData("demo", "--vcenter", "https://127.0.0.1:9/sdk", "--username", "u", "--password", "p", "--vms", "2")]
    [InlineData("watch", "a", "b")]
    [InlineData("certs")]
    [InlineData("cancel")]
    [InlineData("retry")]
    [InlineData("archive")]
    [InlineData("archive", "--older-than", "90x")]
    [InlineData("archive", "--older-than", "0d")]
    [InlineData("cancel", "some-job", "--db", "/nonexistent/folder/none.db")]
    public async Task Bad_input_exits_2_with_a_message(params string[] args) =>
        Assert.Equal(2, await Cli.Program.Main(args));

    [Theory]
    [InlineData("demo", "SIZE is a number with an optional unit")]
    [InlineData("jobs", "monitoring queries")]
    [InlineData("history", "cbt_history")]
    [InlineData("start", "StartReplication")]
    [InlineData("watch", "Live progress")]
    [InlineData("certs init", "development CA")]
    [InlineData("cancel", "CancelReplication")]
    [InlineData("retry", "same VM and target")]
    [InlineData("archive", "AGE is a whole number")]
    public void Every_command_answers_help_with_its_description(string command, string expected)
    {
        using var output = new StringWriter();
        var parsed = Cli.CommandLine.CliApp.Root().Parse([.. command.Split(' '), "--help"]);
        Assert.Equal(0, parsed.Invoke(new System.CommandLine.InvocationConfiguration { Output = output }));
        Assert.Contains(expected, output.ToString(), StringComparison.Ordinal);
        Assert.Contains("--help", output.ToString(), StringComparison.Ordinal);
    }
}
