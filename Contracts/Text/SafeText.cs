using System.Globalization;
using System.Text;

namespace Migration.Contracts.Text;

/// <summary>
/// Makes a value from outside safe to log or store as text: control characters (newlines, ESC, NUL, DEL, C1) and the
/// line and paragraph separators U+2028/U+2029 become visible escapes such as <c>\n</c> or <c>\u001b</c>, so a forged
/// log line or a terminal escape sequence cannot come through; everything else (quotes, '%', right-to-left marks, 4-byte Unicode) is kept as it is. Long values are cut.
/// </summary>
public static class SafeText
{
    /// <summary>Longest escaped value kept; longer ones end in "…".</summary>
    public const int DefaultMaxLength = 512;

    public static string Escape(string? value, int maxLength = DefaultMaxLength)
    {
        if (value is null)
        {
            return "";
        }

        var clean = !value.AsSpan().ContainsAnyInRange('\u0000', '\u001f') && !value.AsSpan().ContainsAnyInRange('\u007f', '\u009f')
            && !value.AsSpan().ContainsAnyInRange('\u2028', '\u2029');
        if (clean && value.Length <= maxLength)
        {
            return value;
        }

        var builder = new StringBuilder(Math.Min(value.Length, maxLength) + 16);
        foreach (var c in value)
        {
            // A cut never separates the two halves of a 4-byte character (a lone surrogate is not text).
            if (builder.Length >= maxLength && !(char.IsLowSurrogate(c) && builder.Length > 0 && char.IsHighSurrogate(builder[^1])))
            {
                builder.Append('…');
                break;
            }

            builder.Append(c switch
            {
                '\n' => @"\n",
                '\r' => @"\r",
                '\t' => @"\t",
                // U+2028/U+2029 end a line for JavaScript and some log viewers.
                _ when char.IsControl(c) || c is '\u2028' or '\u2029' => @"\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }

        return builder.ToString();
    }
}
