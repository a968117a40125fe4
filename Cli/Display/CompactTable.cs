using Spectre.Console;

namespace Migration.Cli.Display;

/// <summary>
/// A table without borders, bold headers, a small gap between columns and the first column never wrapped: what an
/// 80-column terminal can show of job ids without splitting them.
/// </summary>
public static class CompactTable
{
    public static Table Create(string title, int gap, params string[] headers)
    {
        var table = new Table().Border(TableBorder.None).Title($"[bold]{Markup.Escape(title)}[/]");
        foreach (var (header, index) in headers.Select((h, i) => (h, i)))
        {
            var column = new TableColumn(new Markup($"[bold underline]{Markup.Escape(header)}[/]")).PadLeft(0).PadRight(index == headers.Length - 1 ? 0 : gap);
            table.AddColumn(index == 0 ? column.NoWrap() : column);
        }

        return table;
    }
}
