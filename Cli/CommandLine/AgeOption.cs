using System.CommandLine;
using System.Globalization;

namespace Migration.Cli.CommandLine;

/// <summary>An age such as <c>90d</c>, <c>12h</c>, <c>30m</c> or <c>45s</c>: a whole number and one unit.</summary>
public static class AgeOption
{
    public const string Format = "AGE is a whole number with a unit: d (days), h (hours), m (minutes) or s (seconds), e.g. 90d";

    public static Option<TimeSpan> Create(string name, string description) => new(name)
    {
        Description = $"{description}. {Format}",
        HelpName = "AGE",
        Required = true,
        CustomParser = result =>
        {
            var text = result.Tokens.Single().Value;
            if (TryParse(text, out var age))
            {
                return age;
            }

            result.AddError($"{name} must be an age such as 90d, not '{text}'. {Format}");
            return default;
        },
    };

    public static bool TryParse(string text, out TimeSpan age)
    {
        age = default;
        if (text.Length < 2 || !long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number <= 0)
        {
            return false;
        }

        double? seconds = text[^1] switch
        {
            'd' => number * 86_400d,
            'h' => number * 3_600d,
            'm' => number * 60d,
            's' => number,
            _ => null,
        };
        if (seconds is not { } value || value > TimeSpan.FromDays(36_500).TotalSeconds)
        {
            return false;
        }

        age = TimeSpan.FromSeconds(value);
        return true;
    }
}
