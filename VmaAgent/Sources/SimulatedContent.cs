using System.Runtime.InteropServices;

namespace Migration.VmaAgent.Sources;

/// <summary>
/// Deterministic pseudo-random bytes (SplitMix64): the same key always gives the same block, in every process,
/// so nothing but written blocks has to be kept in memory.
/// </summary>
internal static class SimulatedContent
{
    public static ulong Mix(ulong value)
    {
        value += 0x9E3779B97F4A7C15UL;
        value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9UL;
        value = (value ^ (value >> 27)) * 0x94D049BB133111EBUL;
        return value ^ (value >> 31);
    }

    public static ulong Key(params ReadOnlySpan<long> parts)
    {
        ulong key = 0x243F6A8885A308D3UL;
        foreach (var part in parts)
        {
            key = Mix(key ^ unchecked((ulong)part));
        }

        return key;
    }

    /// <summary>Fills <paramref name="destination"/> (a multiple of 8 bytes long) with the stream of <paramref name="key"/>.</summary>
    public static void Fill(ulong key, Span<byte> destination)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(destination);
        var state = key;
        for (var i = 0; i < words.Length; i++)
        {
            state += 0x9E3779B97F4A7C15UL;
            var z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            words[i] = z ^ (z >> 31);
        }

        var tail = destination[(words.Length * 8)..];
        for (var i = 0; i < tail.Length; i++)
        {
            tail[i] = (byte)Mix(state + (ulong)i);
        }
    }

    public static Guid GuidFrom(ulong key)
    {
        Span<byte> bytes = stackalloc byte[16];
        BitConverter.TryWriteBytes(bytes, Mix(key));
        BitConverter.TryWriteBytes(bytes[8..], Mix(key ^ 0x5DEECE66DUL));
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes);
    }
}
