using System.Net;
using System.Text;
using System.Text.Json;
using Migration.Contracts.Vma;
using Migration.Tests.Support;

namespace Migration.Tests.VmaAgent;

/// <summary><c>POST /api/v1/progress/batch</c>: each entry is what the per-job GET answers; a hostile body is a 400 naming the field.</summary>
public sealed class ProgressBatchTests(FastAgentFactory factory) : IClassFixture<FastAgentFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private Task<HttpResponseMessage> BatchAsync(string body, string contentType = "application/json") =>
        _client.PostAsync("/api/v1/progress/batch", new StringContent(body, Encoding.UTF8, contentType));

    private static string Ids(params string[] ids) => JsonSerializer.Serialize(new Dictionary<string, string[]> { ["job_ids"] = ids });

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("System.", text, StringComparison.Ordinal);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static void AssertNamesField(JsonElement problem, string field) =>
        Assert.True(problem.TryGetProperty("errors", out var errors) && errors.TryGetProperty(field, out _), $"no error for {field} in {problem}");

    [Fact]
    public async Task Each_entry_is_the_per_job_document_or_unknown_in_the_order_asked_and_each_id_once()
    {
        await _client.StartAsync("batch-a", "demo-vm-5");
        await _client.StartAsync("batch-b", "demo-vm-6");
        await _client.WaitFinishedAsync("batch-a");
        await _client.WaitFinishedAsync("batch-b");
        var single = await _client.GetStringAsync("/api/v1/progress/batch-b");

        var response = await BatchAsync(Ids("batch-b", "nobody-here", "batch-a", "batch-b"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var results = answer.RootElement.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(["batch-b", "nobody-here", "batch-a"], results.Select(r => r.GetProperty("job_id").GetString()));
        Assert.Equal([200, 404, 200], results.Select(r => r.GetProperty("status").GetInt32()));
        Assert.Equal(single, results[0].GetProperty("progress").GetRawText());
        Assert.Equal("batch-a", results[2].GetProperty("progress").GetProperty("job_id").GetString());
        Assert.False(results[1].TryGetProperty("progress", out _));
        Assert.Contains("nobody-here", results[1].GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_per_job_endpoint_answers_as_before()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/api/v1/progress/batch")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/api/v1/progress/still-nobody")).StatusCode);
    }

    public static TheoryData<string, string, string> Refused => new()
    {
        { "no ids", Ids(), "job_ids" },
        { "no job_ids field", "{}", "job_ids" },
        { "job_ids null", "{\"job_ids\":null}", "job_ids" },
        { "a number among the ids", "{\"job_ids\":[\"a\",3]}", "job_ids" },
        { "an id that is not a job id", Ids("good-1", "../etc/passwd"), "job_ids[1]" },
        { "an over-long id", Ids(new string('x', 256)), "job_ids[0]" },
        { "too many ids", Ids(Enumerable.Range(0, ProgressBatchRequest.MaxJobIds + 1).Select(i => $"j{i}").ToArray()), "job_ids" },
        { "an unknown field", "{\"job_ids\":[\"a\"],\"all\":true}", "body" },
        { "a duplicate key", "{\"job_ids\":[\"a\"],\"job_ids\":[\"b\"]}", "job_ids" },
        { "not an object", "[\"a\"]", "body" },
        { "null", "null", "body" },
        { "not JSON", "job_ids=a", "body" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_hostile_body_is_a_400_naming_the_field(string condition, string body, string field)
    {
        var problem = await ProblemAsync(await BatchAsync(body), HttpStatusCode.BadRequest);

        Assert.True(problem.TryGetProperty("errors", out _), condition);
        AssertNamesField(problem, field);
    }

    [Fact]
    public async Task A_body_over_64_KiB_is_413_and_another_content_type_415()
    {
        var huge = Ids(Enumerable.Range(0, 300).Select(i => $"{i}-{new string('h', 250)}").ToArray());

        await ProblemAsync(await BatchAsync(huge), HttpStatusCode.RequestEntityTooLarge);
        await ProblemAsync(await BatchAsync(Ids("a"), "text/plain"), HttpStatusCode.UnsupportedMediaType);
    }
}
