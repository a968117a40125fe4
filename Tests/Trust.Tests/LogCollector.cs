using System.Collections.Concurrent;

namespace Migration.Tests.Trust;

/// <summary>Keeps every log line (category, level, message) so a test can show that a refusal was logged.</summary>
public sealed class LogCollector : ILoggerProvider
{
    private readonly ConcurrentQueue<(string Category, LogLevel Level, string Message)> _lines = new();

    public IReadOnlyCollection<(string Category, LogLevel Level, string Message)> Lines => _lines;

    public bool Has(LogLevel level, string fragment) =>
        _lines.Any(l => l.Level == level && l.Message.Contains(fragment, StringComparison.Ordinal));

    public ILogger CreateLogger(string categoryName) => new Collector(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Collector(string category, ConcurrentQueue<(string, LogLevel, string)> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                lines.Enqueue((category, logLevel, formatter(state, exception)));
            }
        }
    }
}
