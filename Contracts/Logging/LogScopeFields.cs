using System.Collections;
using System.Globalization;
using System.Text;

namespace Migration.Contracts.Logging;

/// <summary>
/// A log scope's state as named fields: structured sinks (the JSON console) list them, and the plain console gets
/// <c>Name:value Name:value</c> from <see cref="ToString"/> (a dictionary would print as its type name).
/// </summary>
public abstract class LogScopeFields : IReadOnlyList<KeyValuePair<string, object?>>
{
    public abstract int Count { get; }

    public abstract KeyValuePair<string, object?> this[int index] { get; }

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString()
    {
        var text = new StringBuilder();
        for (var i = 0; i < Count; i++)
        {
            var (name, value) = this[i];
            text.Append(i == 0 ? "" : " ").Append(name).Append(':')
                .Append(Convert.ToString(value, CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }
}
