using System.Security.Cryptography;
using System.Text;

namespace Migration.OmaWorkers.Saga;

/// <summary>
/// The job_log dedupe key of a failed poll: one row per distinct reason for the job's lifetime, not one per poll
/// (a VMA that answers nonsense every 2 s for 5 minutes would otherwise write 150 identical rows). Digits are left
/// out of the comparison so "answered 503" and a changing count in the same sentence stay one reason.
/// </summary>
public static class PollFailureLogKey
{
    public static string For(string reason)
    {
        var wording = string.Concat(reason.Where(c => !char.IsAsciiDigit(c)));
        return "poll-failed-" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(wording)), 0, 12);
    }
}
