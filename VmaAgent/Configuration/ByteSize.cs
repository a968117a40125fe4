using System.ComponentModel;
using System.Globalization;

namespace Migration.VmaAgent.Configuration;

/// <summary>A size in bytes that configuration may write with a unit: "64MiB", "512KiB", "1GiB", "4096" or "1.5MB".</summary>
[TypeConverter(typeof(ByteSizeConverter))]
public readonly record struct ByteSize(long Bytes)
{
    private static readonly (string Suffix, long Factor)[] Units =
    [
        ("KiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30), ("TiB", 1L << 40),
        ("KB", 1_000L), ("MB", 1_000_000L), ("GB", 1_000_000_000L), ("TB", 1_000_000_000_000L),
        ("K", 1L << 10), ("M", 1L << 20), ("G", 1L << 30), ("T", 1L << 40),
        ("B", 1L),
    ];

    public static ByteSize FromMebibytes(long mebibytes) => new(mebibytes << 20);

    public static ByteSize FromKibibytes(long kibibytes) => new(kibibytes << 10);

    public static ByteSize Parse(string text)
    {
        if (TryParse(text, out var size))
        {
            return size;
        }

        throw new FormatException($"'{text}' is not a size: write a number with an optional unit (B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)");
    }

    public static bool TryParse(string? text, out ByteSize size)
    {
        size = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var trimmed = text.Trim();
        long factor = 1;
        foreach (var (suffix, unitFactor) in Units)
        {
            if (trimmed.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                factor = unitFactor;
                trimmed = trimmed[..^suffix.Length].TrimEnd();
                break;
            }
        }

        if (!decimal.TryParse(trimmed, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number) || number < 0)
        {
            return false;
        }

        var bytes = number * factor;
        if (bytes > long.MaxValue)
        {
            return false;
        }

        size = new ByteSize((long)decimal.Round(bytes));
        return true;
    }

    public override string ToString() => Bytes switch
    {
        0 => "0B",
        _ when Bytes % (1L << 30) == 0 => $"{Bytes >> 30}GiB",
        _ when Bytes % (1L << 20) == 0 => $"{Bytes >> 20}MiB",
        _ when Bytes % (1L << 10) == 0 => $"{Bytes >> 10}KiB",
        _ => $"{Bytes}B",
    };
}

/// <summary>Lets the configuration binder read "64MiB" into a <see cref="ByteSize"/>.</summary>
public sealed class ByteSizeConverter : TypeConverter
{
    public override bool CanConvertFrom(ITypeDescriptorContext? context, Type sourceType) =>
        sourceType == typeof(string) || base.CanConvertFrom(context, sourceType);

    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        value is string text ? ByteSize.Parse(text) : base.ConvertFrom(context, culture, value);

    public override object? ConvertTo(ITypeDescriptorContext? context, CultureInfo? culture, object? value, Type destinationType) =>
        destinationType == typeof(string) && value is ByteSize size ? size.ToString() : base.ConvertTo(context, culture, value, destinationType);
}
