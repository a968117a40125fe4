using Microsoft.AspNetCore.Http;
using Migration.OmaWorkers.Vma;
using Migration.Tests.Support;

namespace Migration.Tests.Trust;

/// <summary>
/// The OMA's batch poll against a VMA on real Kestrel that answers nonsense: each absurd document inside a batch
/// answer is refused for its job with the same reason a single poll gives, the others of the batch are believed, and
/// an answer past the batch limit fails every job of the batch.
/// </summary>
public sealed class DistrustfulBatchPollTests
{
    private const string JobId = "distrust-1";
    private const string Neighbour = "distrust-2";

    public static TheoryData<string, string, string> Absurd => DistrustfulOmaTests.Absurd;

    [Theory]
    [MemberData(nameof(Absurd))]
    public async Task An_absurd_document_in_a_batch_answer_fails_its_job_alone_with_the_single_polls_reason(string condition, string body, string reason)
    {
        await using var vma = await MisbehavingVma.StartAsync();
        var neighbour = MisbehavingVma.StreamingDocument(Neighbour, 40, withDisk: true);
        vma.BatchAnswer = MisbehavingVma.Json($$"""{"results":[{"job_id":"{{JobId}}","status":200,"progress":{{body}}},{"job_id":"{{Neighbour}}","status":200,"progress":{{neighbour}}}]}""");
        await using var oma = OmaClient.Create(new Dictionary<string, string?> { ["VmaClient:MaxRetryAttempts"] = "0" });

        var batch = await oma.Vma.GetProgressBatchAsync(vma.Url.ToString(), [JobId, Neighbour], CancellationToken.None);

        var result = batch.Results[JobId];
        Assert.True(result.Progress is null, condition);
        Assert.Equal(PollFailureReason.InvalidDocument, result.FailureReason);
        if (body.TrimStart().StartsWith('{'))
        {
            // A document the batch can carry: judged exactly as a single poll's answer, and the neighbour is believed.
            Assert.Contains(reason, result.Error, StringComparison.Ordinal);
            Assert.Equal(400, batch.Results[Neighbour].Progress?.Aggregate.BytesTransferred);
        }
        else
        {
            // Not an object where the document belongs: the answer as a whole is unreadable, for every job.
            Assert.Contains("unreadable batch answer", result.Error, StringComparison.Ordinal);
            Assert.Equal(PollFailureReason.InvalidDocument, batch.Results[Neighbour].FailureReason);
        }
    }

    [Fact]
    public async Task A_batch_answer_over_its_limit_fails_every_job_whether_announced_or_chunked()
    {
        await using var vma = await MisbehavingVma.StartAsync();
        await using var oma = OmaClient.Create(new Dictionary<string, string?>
        {
            ["VmaClient:MaxRetryAttempts"] = "0",
            ["VmaClient:MaxBatchAnswerBytes"] = "1048576",
        });
        var huge = $$"""{"padding":"{{new string('x', 2 * 1024 * 1024)}}","results":[]}""";

        vma.BatchAnswer = MisbehavingVma.Json(huge);
        var chunked = await oma.Vma.GetProgressBatchAsync(vma.Url.ToString(), [JobId, Neighbour], CancellationToken.None);
        vma.BatchAnswer = context =>
        {
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = huge.Length;
            return context.Response.WriteAsync(huge);
        };
        var announced = await oma.Vma.GetProgressBatchAsync(vma.Url.ToString(), [JobId, Neighbour], CancellationToken.None);

        Assert.All(chunked.Results.Values.Concat(announced.Results.Values),
            result => Assert.Contains("longer than 1048576 bytes", result.Error, StringComparison.Ordinal));
        Assert.Equal(4, chunked.Results.Count + announced.Results.Count);
    }

    [Fact]
    public async Task A_VMA_without_the_batch_endpoint_says_so_and_is_not_a_failed_poll()
    {
        await using var vma = await MisbehavingVma.StartAsync();
        await using var oma = OmaClient.Create(new Dictionary<string, string?> { ["VmaClient:MaxRetryAttempts"] = "0" });

        var batch = await oma.Vma.GetProgressBatchAsync(vma.Url.ToString(), [JobId, Neighbour], CancellationToken.None);

        Assert.True(batch.EndpointMissing);
        Assert.Empty(batch.Results);
    }
}
