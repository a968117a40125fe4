using System.Text.Json;
using System.Text.Json.Nodes;
using MassTransit;
using MassTransit.Testing;
using Migration.Contracts;
using Migration.Contracts.Progress;
using Migration.Contracts.Status;
using Microsoft.AspNetCore.Http;
using Migration.OmaWorkers;
using Migration.OmaWorkers.Consumers;
using Migration.OmaWorkers.Vma;
using Migration.Tests.Support;

namespace Migration.Tests.Trust;

/// <summary>The OMA against a VMA that answers nonsense: every condition alone is a failed contact with a reason, never a document.</summary>
public sealed class DistrustfulOmaTests
{
    private const string JobId = "distrust-1";

    private static JsonObject GoodDocument() => JsonNode.Parse(MisbehavingVma.StreamingDocument(JobId, 50, withDisk: true))!.AsObject();

    private static string With(Action<JsonObject> change)
    {
        var document = GoodDocument();
        change(document);
        return document.ToJsonString();
    }

    public static TheoryData<string, string, string> Absurd => new()
    {
        { "negative bytes", With(d => d["aggregate"]!["bytes_transferred"] = -1), "negative byte counts" },
        { "negative disk bytes", With(d => d["disks"]![0]!["planned_bytes"] = -5), "negative byte counts" },
        { "percent over 100", With(d => d["aggregate"]!["percent"] = 150.5), "outside 0–100" },
        { "percent below 0", With(d => d["disks"]![0]!["percent"] = -3), "outside 0–100" },
        { "bytes beyond planned", With(d => d["aggregate"]!["bytes_transferred"] = 5000), "more bytes transferred than planned" },
        { "unknown stage", With(d => d["stage"] = "Teleport"), "unreadable progress document" },
        { "numeric status", With(d => d["status"] = 3), "unreadable progress document" },
        { "unknown disk status", With(d => d["disks"]![0]!["status"] = "Melting"), "unreadable progress document" },
        { "other job id", With(d => d["job_id"] = "someone-else"), "another job id" },
        { "time stamp in the future", With(d => d["updated_at"] = DateTimeOffset.UtcNow.AddDays(3).ToString("O")), "in the future" },
        { "unknown cbt type", With(d => d["cbt"]!["type"] = "sideways"), "cbt.type" },
        { "duplicate key", With(_ => { }).Replace("\"stage\":", "\"stage\":\"Discover\",\"stage\":", StringComparison.Ordinal), "unreadable progress document" },
        { "not JSON", "<html>proxy error</html>", "unreadable progress document" },
        { "no nbd block", With(d => d.Remove("nbd")), "no usable nbd block" },
        { "a note kind job_log cannot hold", With(d => d["notes"] = new JsonArray(new JsonObject { ["sequence"] = 1, ["at"] = DateTimeOffset.UtcNow.ToString("O"), ["kind"] = new string('k', 60), ["level"] = "Information", ["message"] = "m" })), "note without a usable kind" },
        { "a disk id the database cannot hold", With(d => d["disks"]![0]!["id"] = new string('d', 256)), "disk without a usable id" },
        { "an over-long change id", With(d => d["cbt"]!["change_id"] = new string('c', 256)), "over-long cbt change id" },
        { "empty", "null", "empty progress document" },
    };

    [Theory]
    [MemberData(nameof(Absurd))]
    public async Task An_absurd_answer_is_a_failed_contact_with_its_reason(string condition, string body, string reason)
    {
        await using var vma = await MisbehavingVma.StartAsync();
        vma.Answer = MisbehavingVma.Json(body);
        await using var oma = OmaClient.Create(new Dictionary<string, string?> { ["VmaClient:MaxRetryAttempts"] = "0" });

        var result = await oma.Vma.GetProgressAsync(vma.Url.ToString(), JobId, CancellationToken.None);

        Assert.True(result.Progress is null, condition);
        Assert.Equal(PollFailureReason.InvalidDocument, result.FailureReason);
        Assert.Contains(reason, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sensible_answer_is_accepted()
    {
        await using var vma = await MisbehavingVma.StartAsync();
        vma.Answer = MisbehavingVma.Json(GoodDocument().ToJsonString());
        await using var oma = OmaClient.Create(new Dictionary<string, string?>());

        var result = await oma.Vma.GetProgressAsync(vma.Url.ToString(), JobId, CancellationToken.None);

        Assert.Equal(500, result.Progress?.Aggregate.BytesTransferred);
    }

    [Fact]
    public async Task An_answer_over_1_MiB_is_cut_off_whether_announced_or_chunked()
    {
        await using var vma = await MisbehavingVma.StartAsync();
        await using var oma = OmaClient.Create(new Dictionary<string, string?> { ["VmaClient:MaxRetryAttempts"] = "0" });
        var huge = With(d => d["vm_name"] = new string('x', 2 * 1024 * 1024));

        vma.Answer = MisbehavingVma.Json(huge);
        var chunked = await oma.Vma.GetProgressAsync(vma.Url.ToString(), JobId, CancellationToken.None);
        vma.Answer = context =>
        {
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = huge.Length;
            return context.Response.WriteAsync(huge);
        };
        var announced = await oma.Vma.GetProgressAsync(vma.Url.ToString(), JobId, CancellationToken.None);

        Assert.Contains("longer than 1048576 bytes", chunked.Error, StringComparison.Ordinal);
        Assert.Contains("longer than 1048576 bytes", announced.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_VMA_that_holds_polls_open_gets_one_poll_per_job_at_a_time_and_the_time_out_is_a_failure()
    {
        await using var vma = await MisbehavingVma.StartAsync();
        var release = new TaskCompletionSource();
        vma.Answer = async context => await release.Task.WaitAsync(context.RequestAborted);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["VmaClient:MaxRetryAttempts"] = "0",
            ["Tracking:HttpTimeout"] = "00:00:01.500",
            ["Tracking:PollStaleAfter"] = "00:01:00",
        }).Build();
        await using var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton<IConfiguration>(configuration)
            .AddOmaWorkers(configuration)
            .AddMassTransitTestHarness(bus => bus.AddConsumer<PollProgressConsumer>())
            .BuildServiceProvider(true);
        var harness = services.GetRequiredService<ITestHarness>();
        await harness.Start();
        try
        {
            for (var i = 0; i < 5; i++)
            {
                await harness.Bus.Publish(new PollProgress { JobId = JobId, VmaUrl = vma.Url.ToString(), RequestedAt = DateTimeOffset.UtcNow });
            }

            Assert.True(await harness.Consumed.Any<PollProgress>(m => true));
            var failed = await harness.Published.SelectAsync<ProgressPollFailed>().FirstOrDefault();

            Assert.NotNull(failed);
            Assert.Contains("did not answer within the HTTP timeout", failed.Context.Message.Reason, StringComparison.Ordinal);
            Assert.Single(vma.Started);
            Assert.Single(harness.Published.Select<ProgressPollFailed>());
        }
        finally
        {
            release.TrySetResult();
            await harness.Stop();
        }
    }
}
