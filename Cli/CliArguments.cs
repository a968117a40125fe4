namespace Migration.Cli;

/// <summary>
/// The command line after the command name: <c>--name value</c> options, <c>--flag</c> switches and positional
/// values. Anything not declared by the command is an error, so a typo never silently changes what runs.
/// </summary>
public sealed class CliArguments
{
    private readonly Dictionary<string, string> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _repeated = new(StringComparer.Ordinal);
    private readonly List<string> _positional = [];

    public CliArguments(IEnumerable<string> args, IReadOnlySet<string> options, IReadOnlySet<string> flags, int maxPositional = 0)
    {
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var arg = e.Current;
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                var (name, inline) = arg.IndexOf('=', StringComparison.Ordinal) is var eq and > 0 ? (arg[2..eq], arg[(eq + 1)..]) : (arg[2..], null);
                if (flags.Contains(name) && inline is null)
                {
                    _flags.Add(name);
                }
                else if (options.Contains(name))
                {
                    _options[name] = inline ?? (e.MoveNext() ? e.Current : throw new CliException($"--{name} needs a value"));
                    (_repeated.TryGetValue(name, out var values) ? values : _repeated[name] = []).Add(_options[name]);
                }
                else
                {
                    throw new CliException($"unknown option --{name}");
                }
            }
            else if (_positional.Count < maxPositional)
            {
                _positional.Add(arg);
            }
            else
            {
                throw new CliException($"unexpected argument '{arg}'");
            }
        }
    }

    public string? Option(string name) => _options.GetValueOrDefault(name);

    /// <summary>Every value of an option that may be given more than once (<c>--vm a --vm b</c>).</summary>
    public IReadOnlyList<string> Options(string name) => _repeated.GetValueOrDefault(name) ?? [];

    public bool Flag(string name) => _flags.Contains(name);

    public string? Positional(int index) => index < _positional.Count ? _positional[index] : null;

    public int Int(string name, int fallback, int min, int max)
    {
        var text = Option(name);
        if (text is null)
        {
            return fallback;
        }

        return int.TryParse(text, out var value) && value >= min && value <= max
            ? value
            : throw new CliException($"--{name} must be a whole number from {min} to {max}, not '{text}'");
    }
}

/// <summary>A usage or input error: printed with the command's usage, exit code 2.</summary>
public sealed class CliException(string message) : Exception(message);
