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

    /// <summary>An answer's bytes (valid up to <see cref="Length"/>), or why it was not read.</summary>
    public sealed record Body(byte[] Bytes, int Length, string? Error)
    {
        public ReadOnlySpan<byte> Span => Bytes.AsSpan(0, Length);
    }

    public static async Task<Answer> ReadAsync(HttpContent content, int maxBytes, CancellationToken cancellationToken)
    {
        var body = await ReadBodyAsync(content, maxBytes, cancellationToken);
        return body.Error is { } error ? new Answer(null, error) : Parse(body.Span);
    }

    /// <summary>The answer's bytes, at most <paramref name="maxBytes"/> of them, whether announced or chunked.</summary>
    public static async Task<Body> ReadBodyAsync(HttpContent content, int maxBytes, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > maxBytes)
        {
            return TooLong(maxBytes);
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
                    return TooLong(maxBytes);
                }

                body.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return new Body(body.GetBuffer(), (int)body.Length, null);
    }

    /// <summary>One progress document, read strictly; the batch answer's documents are read by this too.</summary>
    public static Answer Parse(ReadOnlySpan<byte> document)
    {
        try
        {
            var progress = JsonSerializer.Deserialize(document, StrictJson.ReplicationProgress);
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

    public static string TooLongReason(int maxBytes) => $"the VMA's answer is longer than {maxBytes} bytes";

    private static Body TooLong(int maxBytes) => new([], 0, TooLongReason(maxBytes));
}
