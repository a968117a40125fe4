using System.Diagnostics;

namespace Migration.Tests.Nbd;

/// <summary>Tools that are not ours, to check what our code wrote: nbdcopy, nbdinfo, cmp.</summary>
public static class Tools
{
    public static async Task<string> RunAsync(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await stderr}");
        }

        return await stdout;
    }

    /// <summary>Copies the export to a local file with nbdcopy.</summary>
    public static async Task<string> DumpAsync(string libnbdUri, string directory)
    {
        var path = Path.Combine(directory, "dump-" + Guid.NewGuid().ToString("N")[..8] + ".img");
        await RunAsync("nbdcopy", libnbdUri, path);
        return path;
    }

    /// <summary>cmp exits 0 only when the files are byte for byte equal.</summary>
    public static Task CmpAsync(string a, string b) => RunAsync("cmp", a, b);

    /// <summary><c>nbdinfo --map</c> as (offset, length, type) rows, type being e.g. "data" or "hole,zero".</summary>
    public static async Task<IReadOnlyList<(long Offset, long Length, string Type)>> MapAsync(string libnbdUri)
    {
        var text = await RunAsync("nbdinfo", "--map", libnbdUri);
        var rows = new List<(long, long, string)>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = line.Split((char[]?)null, 4, StringSplitOptions.RemoveEmptyEntries);
            rows.Add((long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture),
                long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), parts.Length > 3 ? parts[3] : parts[^1]));
        }

        return rows;
    }
}
