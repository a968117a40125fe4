using System.Globalization;

namespace Migration.Tests.Support;

/// <summary>One scrape of a Prometheus text endpoint: sums of samples by metric name and label filters.</summary>
public sealed class PrometheusText(string text)
{
    private readonly string[] lines = text.Split('\n');

    public static async Task<PrometheusText> ScrapeAsync(HttpClient client, Uri baseUrl) =>
        new(await client.GetStringAsync(new Uri(baseUrl, "/metrics")));

    /// <summary>Sum of every sample of <paramref name="metric"/> whose labels contain all of <paramref name="labels"/>.</summary>
    public double Sum(string metric, params string[] labels)
    {
        double sum = 0;
        foreach (var line in lines)
        {
            if (line.Length == 0 || line[0] == '#' || !line.StartsWith(metric, StringComparison.Ordinal))
            {
                continue;
            }

            var rest = line[metric.Length..];
            if (rest.Length == 0 || (rest[0] != '{' && rest[0] != ' '))
            {
                continue;
            }

            var labelEnd = rest[0] == '{' ? rest.LastIndexOf('}') : -1;
            var labelText = labelEnd > 0 ? rest[..labelEnd] : "";
            if (!labels.All(l => labelText.Contains(l, StringComparison.Ordinal)))
            {
                continue;
            }

            var values = rest[(labelEnd + 1)..].Trim().Split(' ');
            if (double.TryParse(values[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                sum += value;
            }
        }

        return sum;
    }

    /// <summary>Metric names present (to tell a renamed metric from a zero).</summary>
    public IEnumerable<string> Names() => lines.Where(l => l.Length > 0 && l[0] != '#')
        .Select(l => l.Split('{', ' ')[0]).Distinct(StringComparer.Ordinal);
}
