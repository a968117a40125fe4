using System.Net.Http.Json;
using Migration.Contracts.Progress;
using Migration.Contracts.Status;

namespace Migration.Tests.Support;

/// <summary>Reading a job's progress from an agent the way the OMA does, until it is in the state a test waits for.</summary>
public static class SimulatedAgentClient
{
    public static async Task<ReplicationProgress> ProgressAsync(this HttpClient client, string jobId)
    {
        var response = await client.GetAsync($"/api/v1/progress/{jobId}");
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync(ProgressJsonContext.Default.ReplicationProgress))!;
    }

    public static async Task<ReplicationProgress> WaitAsync(this HttpClient client, string jobId, Func<ReplicationProgress, bool> condition,
        TimeSpan? timeout = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var progress = await client.ProgressAsync(jobId);
            if (condition(progress))
            {
                return progress;
            }

            if (clock.Elapsed > (timeout ?? TimeSpan.FromSeconds(60)))
            {
                throw new TimeoutException($"job {jobId} stayed {progress.Status} in {progress.Stage}: {progress.Error}");
            }

            await Task.Delay(20);
        }
    }

    public static Task<ReplicationProgress> WaitFinishedAsync(this HttpClient client, string jobId, TimeSpan? timeout = null) =>
        client.WaitAsync(jobId, p => StatusMapping.IsTerminal(p.Status), timeout);
}
