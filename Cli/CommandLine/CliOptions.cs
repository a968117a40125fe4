using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Migration.VmaAgent.Configuration;

namespace Migration.Cli.CommandLine;

/// <summary>The options several commands share, and the typed options with the checks the commands need.</summary>
public static class CliOptions
{
    public const string SizeFormat =
        "SIZE is a number with an optional unit: B, KiB, MiB, GiB, TiB (powers of 1024; K, M, G, T mean the same) or KB, MB, GB, TB (powers of 1000), e.g. 64MiB, 1.5GiB, 4096";

    public static Option<string?> Database() => new("--db")
    {
        Description = "SQLite database file to use (without it: Database__Provider / Database__ConnectionString from the environment, else " + CliSettings.DefaultDatabasePath + ")",
        HelpName = "PATH",
    };

    /// <summary>A whole number within bounds; a value outside them is refused with the bounds named.</summary>
    public static Option<int> Int(string name, int fallback, int min, int max, string description, string helpName = "N") => new(name)
    {
        Description = $"{description} ({min} to {max})",
        HelpName = helpName,
        DefaultValueFactory = _ => fallback,
        CustomParser = result => ParseInt(result, name, min, max),
    };

    /// <summary>Like <see cref="Int"/> without a default: absent means the command decides.</summary>
    public static Option<int?> OptionalInt(string name, int min, int max, string description, string helpName = "N") => new(name)
    {
        Description = $"{description} ({min} to {max})",
        HelpName = helpName,
        CustomParser = result => ParseInt(result, name, min, max),
    };

    public static Option<ByteSize> Size(string name, ByteSize fallback, string description) => new(name)
    {
        Description = $"{description}. {SizeFormat}",
        HelpName = "SIZE",
        DefaultValueFactory = _ => fallback,
        CustomParser = result =>
        {
            var text = result.Tokens.Single().Value;
            if (ByteSize.TryParse(text, out var size) && size.Bytes > 0)
            {
                return size;
            }

            result.AddError($"{name} must be a size such as 64MiB, not '{text}'. {SizeFormat}");
            return default;
        },
    };

    public static Option<string?> Text(string name, string helpName, string description) => new(name)
    {
        Description = description,
        HelpName = helpName,
    };

    public static Option<bool> Flag(string name, string description) => new(name) { Description = description };

    private static int ParseInt(ArgumentResult result, string name, int min, int max)
    {
        var text = result.Tokens.Single().Value;
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        result.AddError($"{name} must be a whole number from {min} to {max}, not '{text}'");
        return default;
    }
}
