using System.Globalization;

namespace Migration.Benchmarks.Pipeline;

/// <summary>A setting the benchmark cannot run without is missing or wrong: printed as one line, exit code 2.</summary>
public sealed class BenchmarkSetupException(string message) : Exception(message);

/// <summary><c>--name value</c> and <c>--flag</c> options.</summary>
public sealed class BenchmarkArgs(string[] args)
{
    public string? Option(string name)
    {
        var index = Array.IndexOf(args, "--" + name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }

    public int Int(string name, int fallback) =>
        Option(name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    public bool Flag(string name) => args.Contains("--" + name);
}
