using System.Globalization;
using System.Text;

namespace Migration.Contracts.Text;

/// <summary>
/// Makes a value from outside safe to log or store as text: control characters (newlines, ESC, NUL, DEL, C1) become
/// visible escapes such as <c>\n</c> or <c>\u001b</c>, so a forged log line or a terminal escape sequence cannot come
/// through; everything else (quotes, '%', right-to-left marks, 4-byte Unicode) is kept as it is. Long values are cut.
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

        var clean = !value.AsSpan().ContainsAnyInRange('\u0000', '\u001f') && !value.AsSpan().ContainsAnyInRange('\u007f', '\u009f');
        if (clean && value.Length <= maxLength)
        {
            return value;
        }

        var builder = new StringBuilder(Math.Min(value.Length, maxLength) + 16);
        foreach (var c in value)
        {
            if (builder.Length >= maxLength)
            {
                builder.Append('…');
                break;
            }

            builder.Append(c switch
            {
                '\n' => @"\n",
                '\r' => @"\r",
                '\t' => @"\t",
                _ when char.IsControl(c) => @"\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }

        return builder.ToString();
    }
}
