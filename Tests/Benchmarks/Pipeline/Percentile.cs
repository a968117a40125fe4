namespace Migration.Benchmarks.Pipeline;

/// <summary>The nearest-rank percentile of sorted values, as every pipeline table reports it.</summary>
public static class Percentile
{
    public static double Of(double[] sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
}
