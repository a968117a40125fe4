using System.Buffers;
using System.Text.Json;
using Migration.Contracts.Progress;

namespace Migration.OmaWorkers.Vma;

/// <summary>
/// Reads a VMA's progress answer within a size limit and strictly (<see cref="StrictJson"/>): an answer that is too
/// long, is not JSON, or has duplicate keys, numeric or unknown enum words is a reason, not an exception.
/// </summary>
public static class ProgressAnswerReader
{
    public sealed record Answer(ReplicationProgress? Progress, string? Error);

    public static async Task<Answer> ReadAsync(HttpContent content, int maxBytes, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > maxBytes)
        {
            return new Answer(null, $"the VMA's answer is longer than {maxBytes} bytes");
        }

        // Answers are a few KiB: grow as they arrive instead of reserving the limit for every poll.
        using var body = new MemoryStream(content.Headers.ContentLength is { } announced ? (int)announced : 4096);
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            await using var stream = await content.ReadAsStreamAsync(cancellationToken);
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (body.Length + read > maxBytes)
                {
                    return new Answer(null, $"the VMA's answer is longer than {maxBytes} bytes");
                }

                body.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        try
        {
            var progress = JsonSerializer.Deserialize(body.GetBuffer().AsSpan(0, (int)body.Length), StrictJson.ReplicationProgress);
            return progress is null
                ? new Answer(null, "the VMA sent an empty progress document")
                : new Answer(progress, null);
        }
        catch (JsonException ex)
        {
            // The path names the field; the serializer's message would name .NET types and vary per value.
            return new Answer(null, $"the VMA sent an unreadable progress document (at {ex.Path ?? "$"})");
        }
    }
}
