using System.Text;

namespace Migration.Tests.Support;

/// <summary>
/// Identifiers chosen to break things: quotes, '%' and format placeholders, SQL fragments, newlines that would forge a
/// log line, terminal escapes, right-to-left marks, U+2028, 4-byte Unicode, path segments. Job ids stay inside the
/// contracts' one rule (ASCII letters, digits, '-', '_', '.', ':'; not '.' or '..') and use what it allows.
/// </summary>
public static class HostileNames
{
    /// <summary>What a line forged by an unescaped newline would start with; no log line may start with it.</summary>
    public const string ForgedMarker = "FORGED-LINE";

    public static readonly IReadOnlyList<string> VmNames =
    [
        "vm \"double\" 'single' `tick` \\back",
        "100% %s %n %d {0} {{x}} $HOME",
        "x'); DROP TABLE replication_jobs; --",
        $"one\n{ForgedMarker} info: x\r\nend",
        "esc \u001b[31mred\u001b[0m \u0007\u007f\u0085",
        "rtl \u202Eevil\u202C \u200F \u2028 \u2029",
        "4-byte \U0001F600 \U0001D54F \U0001F9EA",
        "..",
    ];

    public static readonly IReadOnlyList<string> DiskLabels =
    [
        "disk \"1\" 50% ' OR '1'='1",
        $"two\n{ForgedMarker} \u001b[2J",
        "\u200F\U0001F600 'three'; DELETE FROM vm_disks; --",
    ];

    /// <summary>One id per VM of <see cref="VmNames"/>: colons, dot runs, leading punctuation, case twins, the longest id.</summary>
    public static readonly IReadOnlyList<string> JobIds =
    [
        "..hostile",
        "id:with::colons:",
        "-._:-",
        "Case.Job-A",
        "case.job-a",
        "a....b",
        "_:.:_" + new string('x', 10),
        "long-" + string.Concat(Enumerable.Repeat("a.b:c-d_", 30)) + "end.",
    ];

    /// <summary>Settings (configuration keys with ':') that give the simulated source these VM names and disk labels.</summary>
    public static Dictionary<string, string> SimulatedSourceSettings(string separator = ":")
    {
        var settings = new Dictionary<string, string>
        {
            [$"Vma{separator}Simulated{separator}VmCount"] = VmNames.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        for (var i = 0; i < VmNames.Count; i++)
        {
            settings[$"Vma{separator}Simulated{separator}VmNames{separator}{i}"] = VmNames[i];
        }

        for (var i = 0; i < DiskLabels.Count; i++)
        {
            settings[$"Vma{separator}Simulated{separator}DiskLabels{separator}{i}"] = DiskLabels[i];
        }

        return settings;
    }

    /// <summary>The simulated source's disk count of VM number <paramref name="index"/> + 1 (1 to 3 disks in turn).</summary>
    public static int DiskCount(int index) => (index % 3) + 1;

    /// <summary>The raw control characters (and U+2028/U+2029) in a text meant for a terminal or a log, as code points.</summary>
    public static IReadOnlyList<string> RawControls(string text, bool allowNewlines) =>
        [.. text.Where(c => (char.IsControl(c) && !(allowNewlines && c == '\n')) || c is '\u2028' or '\u2029')
            .Distinct().Select(c => $"U+{(int)c:X4}")];

    /// <summary>Escapes nothing, but shows a value's code points where a failure message would hide them.</summary>
    public static string Visible(string value)
    {
        var builder = new StringBuilder();
        foreach (var c in value)
        {
            builder.Append(c is < ' ' or '\u007f' or (>= '\u0080' and < '\u00a0') or '\u2028' or '\u2029' ? $"<U+{(int)c:X4}>" : c.ToString());
        }

        return builder.ToString();
    }
}
