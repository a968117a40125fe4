using System.Text;
using Microsoft.Extensions.Configuration;
using Migration.Cli.Commands;
using Migration.Contracts;
using Migration.Contracts.Status;
using Migration.Tests.Support;
using RabbitMQ.Client;

namespace Migration.Tests.EndToEnd;

/// <summary>
/// The same end-to-end suite on RabbitMQ and PostgreSQL, with the saga's timeouts going through the Quartz scheduler
/// endpoint on its ADO.NET store; plus what only a real broker shows: plain JSON from a non-.NET publisher, the
/// <c>_error</c> queue, and the names an operator sees in the management UI.
/// </summary>
public sealed class RabbitPostgresPipelineTests : PipelineSuite
{
    private RealServers? _servers;

    protected override async Task<Dictionary<string, string?>> InfrastructureAsync()
    {
        _servers ??= await RealServers.CreateAsync();
        return _servers.Settings();
    }

    public override async Task DisposeAsync()
    {
        if (_servers is not null)
        {
            await _servers.DisposeAsync();
        }

        await base.DisposeAsync();
    }

    [Fact]
    public async Task A_plain_json_StartReplication_from_a_non_dotnet_publisher_runs_a_job_and_bad_or_untyped_ones_land_in_error()
    {
        await using var system = await StartSystemAsync();
        var servers = _servers!;
        var run = Guid.NewGuid().ToString("N")[..8];
        var factory = new ConnectionFactory
        {
            HostName = servers.Amqp.Host,
            Port = servers.Amqp.Port,
            VirtualHost = servers.VirtualHost,
            UserName = servers.Username,
            Password = servers.Password,
        };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        const string exchange = "Migration.Contracts:StartReplication";

        async Task Publish(string body, string contentType, bool namedType)
        {
            var properties = new BasicProperties
            {
                ContentType = contentType,
                DeliveryMode = DeliveryModes.Persistent,
                MessageId = Guid.NewGuid().ToString(),
                Headers = namedType ? new Dictionary<string, object?> { ["MT-MessageType"] = "urn:message:Migration.Contracts:StartReplication" } : null,
            };
            await channel.BasicPublishAsync(exchange, "", mandatory: false, properties, Encoding.UTF8.GetBytes(body));
        }

        // The MassTransit envelope, written by hand, and bare JSON naming its type in a header.
        await Publish($$$"""{"messageType":["urn:message:Migration.Contracts:StartReplication"],"message":{"jobId":"{{{run}}}-envelope","vmaUrl":"{{{system.VmaUrl}}}","vm":{"name":"demo-vm-1"},"syncType":"full"}}""",
            "application/vnd.masstransit+json", namedType: false);
        await Publish($$$"""{"jobId":"{{{run}}}-bare","vmaUrl":"{{{system.VmaUrl}}}","vm":{"name":"demo-vm-2"},"syncType":"full"}""",
            "application/json", namedType: true);

        // Three commands that can never run: no job id, a misspelt VM field, and JSON that does not parse.
        await Publish($$$"""{"vmaUrl":"{{{system.VmaUrl}}}","vm":{"name":"demo-vm-3"}}""", "application/json", namedType: true);
        await Publish($$$"""{"jobId":"{{{run}}}-typo","vmaUrl":"{{{system.VmaUrl}}}","vm":{"nmae":"demo-vm-3"}}""", "application/json", namedType: true);
        await Publish("""{"jobId": "broken", "vm": {""", "application/json", namedType: true);
        // A well-formed command that names no type: without the header it would be every type the queue handles.
        await Publish($$$"""{"jobId":"{{{run}}}-untyped","vmaUrl":"{{{system.VmaUrl}}}","vm":{"name":"demo-vm-3"},"syncType":"full"}""",
            "application/json", namedType: false);

        var jobs = await system.WaitForJobsAsync([$"{run}-envelope", $"{run}-bare"], TimeSpan.FromSeconds(90));
        Assert.All(jobs, j => Assert.True(j.Status == StatusMapping.Completed, $"{j.Id}: {j.Status} {j.ErrorMessage}"));
        Assert.Equal(2, jobs.Count);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        IReadOnlyList<QueueInfo> queues;
        do
        {
            await Task.Delay(500);
            queues = await servers.QueuesAsync();
        }
        while (queues.FirstOrDefault(q => q.Name == "replication-state_error")?.Messages < 4 && DateTime.UtcNow < deadline);

        Assert.Equal(4, queues.Single(q => q.Name == "replication-state_error").Messages);
        Assert.Null(await system.Queries.GetJobAsync($"{run}-untyped", default));
        Assert.Null(await system.Queries.GetJobAsync($"{run}-typo", default));
        Assert.Null(await system.Queries.GetJobAsync("broken", default));
        Assert.Equal(2, (await system.Queries.GetJobsAsync(100, default)).Count);
    }

    [Fact]
    public async Task The_management_UI_shows_one_durable_queue_per_consumer_with_consumers_and_a_clean_run_leaves_no_errors()
    {
        await using var system = await StartSystemAsync();
        var run = Guid.NewGuid().ToString("N")[..8];
        await system.StartReplicationAsync($"{run}-clean", "demo-vm-1", SyncType.Full);
        var jobs = await system.WaitForJobsAsync([$"{run}-clean"], TimeSpan.FromSeconds(90));
        Assert.Equal(StatusMapping.Completed, jobs.Single().Status);

        // The management API refreshes its statistics every few seconds.
        var required = new[] { "replication-state", "poll-progress", "start-vma-replication", "cancel-vma-replication", "scheduler" };
        IReadOnlyList<QueueInfo> queues;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        do
        {
            queues = await _servers!.QueuesAsync();
            if (required.All(r => queues.Any(q => q.Name == r && q.Consumers > 0)))
            {
                break;
            }

            await Task.Delay(500);
        }
        while (DateTime.UtcNow < deadline);

        var names = queues.Select(q => q.Name).ToHashSet();
        foreach (var expected in required)
        {
            Assert.True(names.Contains(expected), $"no queue {expected} among {string.Join(", ", names)}");
            var queue = queues.Single(q => q.Name == expected);
            Assert.True(queue.Durable, $"{expected} is not durable");
            Assert.True(queue.Consumers > 0, $"{expected} has no consumer");
        }

        Assert.All(queues.Where(q => q.Name.EndsWith("_error", StringComparison.Ordinal)), q => Assert.Equal(0, q.Messages));
        Assert.DoesNotContain(queues, q => q.Name.EndsWith("_skipped", StringComparison.Ordinal) && q.Messages > 0);
    }

    [Fact]
    public async Task A_job_published_by_the_contract_through_the_bus_completes_with_a_durably_scheduled_timeout_armed()
    {
        // Slow enough to be seen streaming on a loaded machine (at the suite's 2 MiB/s a disk streams for one second).
        await using var system = await StartSystemAsync(new() { ["Vma:Jobs:ThroughputCapPerJob"] = "256KiB" });
        var run = Guid.NewGuid().ToString("N")[..8];
        await system.StartReplicationAsync($"{run}-contract", "demo-vm-2", SyncType.Auto);
        var job = await system.WaitForAsync($"{run}-contract", j => j.Status == StatusMapping.Streaming, TimeSpan.FromSeconds(60));
        Assert.Equal("full", job.SyncType ?? "full");

        await using var connection = new Npgsql.NpgsqlConnection(_servers!.ConnectionString);
        await connection.OpenAsync();
        await using var triggers = new Npgsql.NpgsqlCommand("SELECT count(*) FROM qrtz_triggers WHERE trigger_group <> 'migration'", connection);
        Assert.True((long)(await triggers.ExecuteScalarAsync())! >= 1, "the contact timeout is not in the Quartz store");

        var done = await system.WaitForJobsAsync([$"{run}-contract"], TimeSpan.FromSeconds(90));
        Assert.Equal(StatusMapping.Completed, done.Single().Status);
    }

    [Fact]
    public async Task Cli_start_publishes_StartReplication_on_RabbitMQ_and_the_job_completes()
    {
        await using var system = await StartSystemAsync();
        var settings = _servers!.Settings();
        var env = new Dictionary<string, string?>
        {
            ["Bus__Transport"] = "RabbitMq",
            ["Bus__RabbitMq__Host"] = settings["Bus:RabbitMq:Host"],
            ["Bus__RabbitMq__Port"] = settings["Bus:RabbitMq:Port"],
            ["Bus__RabbitMq__VirtualHost"] = settings["Bus:RabbitMq:VirtualHost"],
            ["Bus__RabbitMq__Username"] = settings["Bus:RabbitMq:Username"],
            ["Bus__RabbitMq__Password"] = settings["Bus:RabbitMq:Password"],
        };
        var jobId = $"cli-{Guid.NewGuid():N}"[..16];
        try
        {
            foreach (var (key, value) in env)
            {
                Environment.SetEnvironmentVariable(key, value);
            }

            Assert.Equal(0, await Cli.Program.Main(["start", "--agent", system.VmaUrl.ToString(), "--vm", "demo-vm-2", "--full", "--job-id", jobId]));
        }
        finally
        {
            foreach (var key in env.Keys)
            {
                Environment.SetEnvironmentVariable(key, null);
            }
        }

        var jobs = await system.WaitForJobsAsync([jobId], TimeSpan.FromSeconds(90));
        Assert.Equal(StatusMapping.Completed, jobs.Single().Status);
        Assert.Equal("full", jobs.Single().SyncType);
    }

    [Fact]
    public async Task Cli_cancel_fails_a_running_job_and_cli_retry_runs_the_same_vm_again_to_completion()
    {
        // Slow enough to be caught streaming.
        await using var system = await StartSystemAsync(new() { ["Vma:Jobs:ThroughputCapPerJob"] = "256KiB" });
        var cli = new ConfigurationBuilder().AddInMemoryCollection(_servers!.Settings()).Build();
        var jobId = $"cancel-{Guid.NewGuid():N}"[..20];
        await system.StartReplicationAsync(jobId, "demo-vm-3", SyncType.Full);
        await system.WaitForAsync(jobId, j => j.Status == StatusMapping.Streaming, TimeSpan.FromSeconds(60));

        await Assert.ThrowsAsync<Cli.CliException>(() => RetryCommand.RunAsync(jobId, null, cli, TimeProvider.System, default));
        Assert.Equal(0, await CancelCommand.RunAsync(jobId, "operator test", cli, default));
        var cancelled = (await system.WaitForJobsAsync([jobId], TimeSpan.FromSeconds(60))).Single();
        Assert.Equal(StatusMapping.Failed, cancelled.Status);
        Assert.Contains("operator test", cancelled.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(1, await CancelCommand.RunAsync(jobId, null, cli, default));
        await Assert.ThrowsAsync<Cli.CliException>(() => CancelCommand.RunAsync("no-such-job", null, cli, default));

        var retryId = RetryCommand.NextId(jobId, DateTimeOffset.UtcNow);
        Assert.Equal(0, await RetryCommand.RunAsync(jobId, retryId, cli, TimeProvider.System, default));
        var retried = (await system.WaitForJobsAsync([retryId], TimeSpan.FromSeconds(120))).Single();
        Assert.True(retried.Status == StatusMapping.Completed, $"{retried.Id}: {retried.Status} {retried.ErrorMessage}");
        Assert.Equal("demo-vm-3", retried.VmName);
        Assert.Equal(cancelled.VmaUrl, retried.VmaUrl);
        Assert.Equal("full", retried.SyncType); // auto: the cancelled full left no change ids to continue from
        Assert.Empty(TargetCheck.Compare(system.Inventory, TargetDirectory, ["demo-vm-3"]));
    }
}
