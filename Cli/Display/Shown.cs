using Migration.Contracts.Text;

namespace Migration.Cli.Display;

/// <summary>
/// A value from the database or vCenter as the terminal gets it: control characters escaped (an ESC in a VM name
/// must not recolour or move the cursor, a newline must not split a table row), and, for markup, '[' and ']' too.
/// </summary>
public static class Shown
{
    public static string Text(string? value) => SafeText.Escape(value, int.MaxValue);

    public static string Markup(string? value) => Spectre.Console.Markup.Escape(Text(value));
}
