using System.Globalization;

namespace Migration.Benchmarks.Pipeline;

/// <summary>Memory and CPU time of processes on this Linux machine, read from /proc.</summary>
public static class ProcStats
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    /// <summary>Resident set (VmRSS) and its anonymous part (RssAnon: the process's own heap, not mapped files), bytes.</summary>
    public static (long Rss, long Anon) Memory(int pid)
    {
        long rss = 0, anon = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kilobytes(line) * 1024;
            }
            else if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
            {
                anon = Kilobytes(line) * 1024;
            }
        }

        return (rss, anon);
    }

    /// <summary>User + system CPU seconds of one process (0 when it is gone).</summary>
    public static double CpuSeconds(int pid)
    {
        var fields = StatFields(pid);
        return fields is null ? 0 : (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
    }

    /// <summary>
    /// CPU seconds of a process, its live children and its exited (reaped) children: PostgreSQL's postmaster and every
    /// backend, including those that ended during the window.
    /// </summary>
    public static double CpuSecondsWithChildren(int pid)
    {
        var fields = StatFields(pid);
        var reaped = fields is null ? 0
            : (long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture)) / TicksPerSecond;
        return CpuSeconds(pid) + reaped + Children(pid).Sum(CpuSeconds);
    }

    public static int? ParentOf(int pid) => StatFields(pid) is { } f ? int.Parse(f[1], CultureInfo.InvariantCulture) : null;

    public static IEnumerable<int> Children(int parent)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && ParentOf(pid) == parent)
            {
                yield return pid;
            }
        }
    }

    /// <summary>Busy and total jiffies of the whole machine (/proc/stat first line).</summary>
    public static (long Busy, long Total) MachineCpu()
    {
        var parts = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(p => long.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        var idle = parts[3] + parts[4];
        var total = parts.Take(8).Sum();
        return (total - idle, total);
    }

    public static string LoadAverage() => string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    /// <summary>Fields of /proc/pid/stat after the command name (index 0 = state, 1 = ppid, 11 = utime, 12 = stime, 13 = cutime, 14 = cstime).</summary>
    private static string[]? StatFields(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            return text[(text.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static long Kilobytes(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
}
