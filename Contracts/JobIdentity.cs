using System.Security.Cryptography;
using System.Text;

namespace Migration.Contracts;

/// <summary>
/// Derives the saga's <see cref="Guid"/> correlation id from the integrator's string job id.
/// </summary>
/// <remarks>
/// A name-based (RFC 9562 version 5) UUID: every process, in any language, that knows the job id
/// computes the same correlation id, so messages about one job always find the same saga and
/// integrators never have to send a Guid of their own.
/// </remarks>
public static class JobIdentity
{
    /// <summary>The namespace UUID of this product's job ids (a fixed random value).</summary>
    public static readonly Guid Namespace = new("6f1d3c2a-8a4e-4c61-9d27-3b0f5e7a9c14");

    /// <summary>Longest job id accepted (the database column is VARCHAR(255)).</summary>
    public const int MaxLength = 255;

    /// <summary>The rule of <see cref="IsValid"/> in words, for error messages on every side (VMA API, bus, CLI).</summary>
    public const string Rule =
        "1 to 255 characters of ASCII letters, digits, '-', '_', '.' or ':', and not '.' or '..' (it is a URL path segment)";

    public static Guid ToCorrelationId(string jobId)
    {
        if (!IsValid(jobId))
        {
            throw new ArgumentException($"job id must be {Rule}", nameof(jobId));
        }

        Span<byte> input = stackalloc byte[16 + Encoding.UTF8.GetMaxByteCount(jobId.Length)];
        Namespace.TryWriteBytes(input, bigEndian: true, out _);
        var length = 16 + Encoding.UTF8.GetBytes(jobId, input[16..]);
        Span<byte> hash = stackalloc byte[20];
        SHA1.HashData(input[..length], hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }

    /// <remarks>
    /// '.' and '..' are refused because the id is a segment of the VMA's progress URL, where they normalise away
    /// (<c>/api/v1/progress/..</c> is <c>/api/v1/</c>): such a job could be started but never polled.
    /// </remarks>
    public static bool IsValid(string? jobId) =>
        !string.IsNullOrEmpty(jobId)
        && jobId.Length <= MaxLength
        && jobId is not ("." or "..")
        && jobId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':');
}
