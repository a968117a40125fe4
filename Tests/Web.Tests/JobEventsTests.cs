using System.Text.Json;
using Migration.Contracts.Status;
using Migration.Oma.Persistence;
using Migration.Tests.Support;

namespace Migration.Tests.Web;

/// <summary>The server-sent events feed over a real database: the first page on connect, then each changed job.</summary>
[Collection(WebDatabaseCollection.Name)]
public sealed class JobEventsTests(TestDatabases databases)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Theory]
    [ClassData(typeof(Providers))]
    public async Task The_stream_sends_the_first_page_then_every_job_whose_row_changed(DatabaseProvider provider)
    {
        await using var host = await ApiHost.StartAsync(await databases.FreshAsync(provider));
        var rows = host.Rows;
        var start = DateTimeOffset.UtcNow;
        await rows.InsertAsync(TestRows.Job("ev-1", StatusMapping.Streaming, start.AddMinutes(-2)));
        await rows.InsertAsync(TestRows.Job("ev-2", StatusMapping.Completed, start.AddMinutes(-3)));
        using var timeout = new CancellationTokenSource(Patience);
        using var response = await host.Client.GetAsync(new Uri("/api/v1/jobs/events", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var events = new SseReader(await response.Content.ReadAsStreamAsync(timeout.Token));

        var first = await events.NextAsync("jobs", timeout.Token);
        await rows.UpdateAsync("ev-1", job =>
        {
            job.ProgressPercent = 42m;
            job.UpdatedAt = DateTimeOffset.UtcNow;
        });
        var changed = await events.NextAsync("job", timeout.Token);
        await rows.InsertAsync(TestRows.Job("ev-3", StatusMapping.Pending, DateTimeOffset.UtcNow));
        var added = await events.NextAsync("job", timeout.Token);

        Assert.Equal(["ev-1", "ev-2"], first.EnumerateArray().Select(j => j.GetProperty("id").GetString()));
        Assert.Equal("ev-1", changed.GetProperty("id").GetString());
        Assert.Equal(42m, changed.GetProperty("progress_percent").GetDecimal());
        Assert.Equal("ev-3", added.GetProperty("id").GetString());
    }

    /// <summary>Reads <c>event:</c>/<c>data:</c> records off the stream; pings and other events are skipped.</summary>
    private sealed class SseReader(Stream stream) : IDisposable
    {
        private readonly StreamReader reader = new(stream);

        public async Task<JsonElement> NextAsync(string eventName, CancellationToken cancellationToken)
        {
            string? name = null;
            var data = new List<string>();
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.Length == 0)
                {
                    if (name == eventName)
                    {
                        return JsonDocument.Parse(string.Join('\n', data)).RootElement.Clone();
                    }

                    name = null;
                    data.Clear();
                }
                else if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    name = line["event: ".Length..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data.Add(line["data: ".Length..]);
                }
            }

            throw new EndOfStreamException($"the stream ended before a '{eventName}' event");
        }

        public void Dispose() => reader.Dispose();
    }
}
