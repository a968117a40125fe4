using System.Net;
using System.Text.Json;
using Migration.Contracts;

namespace Migration.Tests.Nbd;

/// <summary>A journal is input from outside: one that names a target outside the allowed roots is not taken up, and is removed.</summary>
public sealed class HostileJournalTests
{
    [Fact]
    public async Task Journal_naming_a_target_outside_the_allowed_roots_is_refused_and_removed()
    {
        await using var factory = new NbdAgentFactory();
        var journals = Path.Combine(factory.DataDirectory, "targets", ".journal");
        Directory.CreateDirectory(journals);
        var request = """{"job_id":"hostile-1","vm":{"name":"demo-vm-1"},"target":{"disks":{"disk-0":{"uri":"file:///etc/hostile.img"}}}}""";
        var record = new Dictionary<string, object>
        {
            ["version"] = 1,
            ["job_id"] = "hostile-1",
            ["fingerprint"] = "00",
            ["request"] = JsonDocument.Parse(request).RootElement,
            ["disks"] = Array.Empty<object>(),
        };
        var path = Path.Combine(journals, JobIdentity.ToCorrelationId("hostile-1").ToString("N") + ".json");
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(record));

        using var client = factory.CreateClient();
        var response = await client.GetAsync("/api/v1/progress/hostile-1");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.False(File.Exists(path));
        Assert.False(File.Exists("/etc/hostile.img"));
    }
}
