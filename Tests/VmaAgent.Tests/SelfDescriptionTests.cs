using System.Text.Json;

namespace Migration.Tests.VmaAgent;

/// <summary>The agent describes itself: an OpenAPI document of its API, and its service name in the telemetry.</summary>
public sealed class SelfDescriptionTests(FastAgentFactory factory) : IClassFixture<FastAgentFactory>
{
    [Fact]
    public async Task The_OpenAPI_document_names_every_endpoint_of_the_API()
    {
        using var client = factory.CreateClient();
        using var response = await client.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.StartsWith("3.", document.RootElement.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        var paths = document.RootElement.GetProperty("paths");
        Assert.True(paths.GetProperty("/api/v1/replications").TryGetProperty("post", out _));
        Assert.True(paths.GetProperty("/api/v1/progress/{jobId}").TryGetProperty("get", out _));
        Assert.True(paths.GetProperty("/api/v1/replications/{jobId}").TryGetProperty("delete", out _));
    }

    [Fact]
    public async Task Metrics_carry_the_service_name()
    {
        using var client = factory.CreateClient();
        var text = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("service_name=\"vma-agent\"", text, StringComparison.Ordinal);
    }
}
