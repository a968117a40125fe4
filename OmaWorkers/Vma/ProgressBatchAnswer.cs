using System.Text.Json;
using Migration.Contracts.Progress;

namespace Migration.OmaWorkers.Vma;

/// <summary>
/// Reads a VMA's answer to <c>POST /api/v1/progress/batch</c> — <c>{"results": [{"job_id", "status", "progress" |
/// "error"}, …]}</c> — as hostile input: each document is read and checked exactly as a single poll's answer is
/// (<see cref="ProgressAnswerReader.Parse"/>, <see cref="ProgressAnswerValidator"/>, the per-answer size limit); an
/// entry for a job not asked about, or a second one for a job, is ignored (and counted); a job the answer leaves out is
/// a failed poll of that job; an answer not of this shape fails the poll of every job asked about.
/// </summary>
public static class ProgressBatchAnswer
{
    private const int MaxEntryDepth = StrictJson.MaxDepth + 2;

    /// <summary>One result per job of <paramref name="asked"/>, and how many entries were ignored.</summary>
    public static VmaBatchResult Results(
        ReadOnlySpan<byte> body, IReadOnlyList<string> asked, int maxDocumentBytes, DateTimeOffset now, TimeSpan maxClockSkew)
    {
        var (entries, error) = Read(body);
        if (entries is null)
        {
            return VmaBatchResult.AllFailed(asked, VmaProgressResult.Failed(200, error!, PollFailureReason.InvalidDocument));
        }

        var results = new Dictionary<string, VmaProgressResult>(asked.Count, StringComparer.Ordinal);
        var wanted = new HashSet<string>(asked, StringComparer.Ordinal);
        var ignored = 0;
        foreach (var entry in entries)
        {
            if (!wanted.Contains(entry.JobId) || results.ContainsKey(entry.JobId))
            {
                ignored++;
                continue;
            }

            results[entry.JobId] = entry switch
            {
                { Status: 404 } => VmaProgressResult.JobUnknownToVma,
                { Status: not 200 } => VmaProgressResult.Failed(entry.Status, $"the VMA answered {entry.Status} for this job in its batch answer", PollFailureReason.HttpError),
                _ when entry.Document.Length > maxDocumentBytes => VmaProgressResult.Failed(200, ProgressAnswerReader.TooLongReason(maxDocumentBytes), PollFailureReason.InvalidDocument),
                _ => ProgressAnswerValidator.Result(ProgressAnswerReader.Parse(body.Slice(entry.Document.Start, entry.Document.Length)), entry.JobId, 200, now, maxClockSkew),
            };
        }

        foreach (var jobId in wanted.Where(jobId => !results.ContainsKey(jobId)))
        {
            results[jobId] = VmaProgressResult.Failed(200, "the VMA's batch answer left this job out", PollFailureReason.InvalidDocument);
        }

        return new VmaBatchResult(EndpointMissing: false, results, ignored);
    }

    /// <summary>Where one entry's document lies in the body (length 0: none).</summary>
    public readonly record struct DocumentRange(int Start, int Length);

    public sealed record Entry(string JobId, int Status, DocumentRange Document);

    /// <summary>The entries, in the order given; or, for an answer not of the batch shape, the reason (naming the JSON path).</summary>
    public static (IReadOnlyList<Entry>? Entries, string? Error) Read(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = MaxEntryDepth });
        var path = "$";
        try
        {
            List<Entry>? entries = null;
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return Unreadable(path);
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (!reader.ValueTextEquals("results"u8))
                {
                    reader.Skip(); // a field a later VMA adds
                    continue;
                }

                if (entries is not null)
                {
                    return Unreadable("$.results"); // twice: which one would be the answer?
                }

                path = "$.results";
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
                {
                    return Unreadable(path);
                }

                entries = [];
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    path = $"$.results[{entries.Count}]";
                    if (reader.TokenType != JsonTokenType.StartObject || ReadEntry(ref reader, ref path) is not { } entry)
                    {
                        return Unreadable(path);
                    }

                    entries.Add(entry);
                }
            }

            path = "$";
            return reader.TokenType == JsonTokenType.EndObject && entries is not null && !reader.Read()
                ? (entries, null)
                : Unreadable(entries is null ? "$.results" : "$");
        }
        catch (JsonException)
        {
            return Unreadable(path);
        }
    }

    /// <summary>Reads one entry from its StartObject; null when it is not usable (path then names the field).</summary>
    private static Entry? ReadEntry(ref Utf8JsonReader reader, ref string path)
    {
        var at = path;
        string? jobId = null;
        int? status = null;
        DocumentRange? document = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("job_id"u8))
            {
                path = at + ".job_id";
                if (jobId is not null || !reader.Read() || reader.TokenType != JsonTokenType.String)
                {
                    return null;
                }

                jobId = reader.GetString();
            }
            else if (reader.ValueTextEquals("status"u8))
            {
                path = at + ".status";
                if (status is not null || !reader.Read() || reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var code)
                    || code is < 100 or > 599)
                {
                    return null;
                }

                status = code;
            }
            else if (reader.ValueTextEquals("progress"u8))
            {
                path = at + ".progress";
                if (document is not null || !reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                {
                    return null;
                }

                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                document = new DocumentRange(start, (int)reader.BytesConsumed - start);
            }
            else
            {
                reader.Skip(); // "error" (the VMA's words, not needed: the status says it) and whatever a later VMA adds
            }
        }

        path = at;
        return reader.TokenType == JsonTokenType.EndObject && jobId is not null && status is { } known && (known != 200 || document is not null)
            ? new Entry(jobId, known, document ?? default)
            : null;
    }

    private static (IReadOnlyList<Entry>?, string?) Unreadable(string path) =>
        (null, $"the VMA sent an unreadable batch answer (at {path})");
}
