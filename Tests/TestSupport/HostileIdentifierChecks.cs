using System.Text.Json;
using Migration.Contracts.Text;

namespace Migration.Tests.Support;

/// <summary>
/// What every path of the hostile-identifiers test checks, whatever the database: the OMA's read API and the VMA's
/// progress document give back each job's id, VM name and disk labels exactly (their JSON escaped, no raw control
/// character in the body), and the CLI's output shows them escaped. Each check returns what it found wrong.
/// </summary>
public static class HostileIdentifierChecks
{
    /// <summary>The jobs of the test: id, VM name and the labels of its disks in disk order.</summary>
    public static IReadOnlyList<(string JobId, string VmName, IReadOnlyList<string> Labels)> Jobs() =>
        [.. HostileNames.JobIds.Select((id, i) => (id, HostileNames.VmNames[i],
            (IReadOnlyList<string>)[.. HostileNames.DiskLabels.Take(HostileNames.DiskCount(i))]))];

    /// <summary><c>GET /api/v1/jobs/{id}</c> and the list <c>GET /api/v1/jobs</c> of the OMA read API at <paramref name="oma"/>.</summary>
    public static async Task<List<string>> CheckOmaApiAsync(HttpClient http, Uri oma)
    {
        var problems = new List<string>();
        foreach (var (jobId, vmName, labels) in Jobs())
        {
            var body = await http.GetStringAsync(new Uri(oma, "/api/v1/jobs/" + Uri.EscapeDataString(jobId)));
            problems.AddRange(HostileNames.RawControls(body, allowNewlines: false).Select(c => $"OMA API {jobId}: raw {c} in the body"));
            using var document = JsonDocument.Parse(body);
            var job = document.RootElement.GetProperty("job");
            Expect(problems, $"OMA API {jobId}: id", jobId, job.GetProperty("id").GetString());
            Expect(problems, $"OMA API {jobId}: vm_name", vmName, job.GetProperty("vm_name").GetString());
            Expect(problems, $"OMA API {jobId}: status", "completed", job.GetProperty("status").GetString());
            var shown = job.GetProperty("disks").EnumerateArray().OrderBy(d => d.GetProperty("disk_id").GetString(), StringComparer.Ordinal)
                .Select(d => d.GetProperty("label").GetString()).ToList();
            Expect(problems, $"OMA API {jobId}: disk labels", string.Join(" | ", labels), string.Join(" | ", shown));
            Expect(problems, $"OMA API {jobId}: cbt_history rows", labels.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                document.RootElement.GetProperty("cbt_history").GetArrayLength().ToString(System.Globalization.CultureInfo.InvariantCulture));
            foreach (var entry in document.RootElement.GetProperty("job_log").EnumerateArray())
            {
                var message = entry.GetProperty("message").GetString() ?? "";
                problems.AddRange(HostileNames.RawControls(message, allowNewlines: false).Select(c => $"OMA API {jobId}: raw {c} in job_log '{HostileNames.Visible(message)}'"));
            }
        }

        var list = await http.GetStringAsync(new Uri(oma, "/api/v1/jobs?limit=200"));
        using var page = JsonDocument.Parse(list);
        var listed = page.RootElement.GetProperty("items").EnumerateArray()
            .ToDictionary(j => j.GetProperty("id").GetString()!, j => j.GetProperty("vm_name").GetString(), StringComparer.Ordinal);
        foreach (var (jobId, vmName, _) in Jobs())
        {
            Expect(problems, $"OMA API list: vm_name of {jobId}", vmName, listed.GetValueOrDefault(jobId));
        }

        return problems;
    }

    /// <summary><c>GET /api/v1/progress/{id}</c> of the VMA at <paramref name="vma"/>.</summary>
    public static async Task<List<string>> CheckProgressDocumentsAsync(HttpClient http, Uri vma)
    {
        var problems = new List<string>();
        foreach (var (jobId, vmName, labels) in Jobs())
        {
            var body = await http.GetStringAsync(new Uri(vma, "/api/v1/progress/" + Uri.EscapeDataString(jobId)));
            problems.AddRange(HostileNames.RawControls(body, allowNewlines: false).Select(c => $"progress {jobId}: raw {c} in the body"));
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            Expect(problems, $"progress {jobId}: job_id", jobId, root.GetProperty("job_id").GetString());
            Expect(problems, $"progress {jobId}: vm_name", vmName, root.GetProperty("vm_name").GetString());
            var shown = root.GetProperty("disks").EnumerateArray().OrderBy(d => d.GetProperty("id").GetString(), StringComparer.Ordinal)
                .Select(d => d.GetProperty("label").GetString()).ToList();
            Expect(problems, $"progress {jobId}: disk labels", string.Join(" | ", labels), string.Join(" | ", shown));
        }

        return problems;
    }

    /// <summary>
    /// <c>jobs</c> and <c>watch JOB</c> of each job: exit 0, no raw control character, every job id shown, and the VM
    /// name shown escaped (in <c>watch</c>'s title line, where it fits the 80 columns of a redirected console).
    /// </summary>
    public static async Task<List<string>> CheckCliAsync(string cliDll, IReadOnlyDictionary<string, string> environment, IReadOnlyList<string> databaseArguments)
    {
        var problems = new List<string>();
        var jobs = await CliProcess.RunAsync(cliDll, ["jobs", .. databaseArguments], environment, TimeSpan.FromMinutes(2));
        CheckOutput(problems, "jobs", jobs);
        // The recent history lists the ten newest cbt_history rows: some of these jobs, each by its id.
        if (!Jobs().Any(j => j.JobId.Length < 20 && jobs.Stdout.Contains(j.JobId, StringComparison.Ordinal)))
        {
            problems.Add($"jobs: none of the job ids is shown: {jobs.Stdout}");
        }

        foreach (var (jobId, vmName, _) in Jobs())
        {
            var watch = await CliProcess.RunAsync(cliDll, ["watch", jobId, .. databaseArguments], environment, TimeSpan.FromMinutes(2));
            CheckOutput(problems, $"watch {jobId}", watch);
            var title = watch.Stdout.Split('\n').FirstOrDefault(l => l.Contains(jobId[..Math.Min(jobId.Length, 30)], StringComparison.Ordinal)) ?? "";
            var expected = $"{jobId}  {SafeText.Escape(vmName, int.MaxValue)}  ";
            if (expected.Length + 20 <= 80 && !title.StartsWith(expected, StringComparison.Ordinal))
            {
                problems.Add($"watch {jobId}: title line '{HostileNames.Visible(title)}' does not start with '{HostileNames.Visible(expected)}'");
            }
        }

        return problems;
    }

    private static void CheckOutput(List<string> problems, string command, (int ExitCode, string Stdout, string Stderr) result)
    {
        if (result.ExitCode != 0)
        {
            problems.Add($"{command}: exit {result.ExitCode}: {result.Stderr}");
        }

        problems.AddRange(HostileNames.RawControls(result.Stdout + result.Stderr, allowNewlines: true)
            .Select(c => $"{command}: raw {c} in the output"));
    }

    private static void Expect(List<string> problems, string what, string expected, string? actual)
    {
        if (!string.Equals(expected, actual, StringComparison.Ordinal))
        {
            problems.Add($"{what}: expected '{HostileNames.Visible(expected)}', got '{HostileNames.Visible(actual ?? "(null)")}'");
        }
    }
}
