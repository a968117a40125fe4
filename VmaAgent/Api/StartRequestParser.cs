using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Migration.Contracts;
using Migration.Contracts.Progress;
using Migration.Contracts.Status;
using Migration.Contracts.Text;
using Migration.Contracts.Vma;
using Migration.VmaAgent.Targets;

namespace Migration.VmaAgent.Api;

/// <summary>
/// Reads and checks a start request. Errors are keyed by the snake_case path of the field at fault
/// (<c>job_id</c>, <c>vm</c>, <c>previous_change_ids.disk-0</c>, <c>target.disks.disk-0.uri</c>, <c>body</c>).
/// </summary>
public static partial class StartRequestParser
{
    public sealed record Result(StartReplicationRequest? Request, Dictionary<string, string[]> Errors)
    {
        public bool IsValid => Request is not null && Errors.Count == 0;
    }

    /// <summary>Most entries <c>previous_change_ids</c> or <c>target.disks</c> may have (a VM has at most 60 virtual disks).</summary>
    public const int MaxDisks = 64;

    public static async Task<Result> ReadAsync(Stream body, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await body.CopyToAsync(buffer, cancellationToken);
        return Parse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    /// <summary>Strict reading (<see cref="StrictJson"/>), then <see cref="Validate"/>; errors name API fields only.</summary>
    public static Result Parse(ReadOnlySpan<byte> body)
    {
        StartReplicationRequest? request;
        try
        {
            request = JsonSerializer.Deserialize(body, StrictJson.StartReplicationRequest);
        }
        catch (JsonException ex)
        {
            return new Result(null, Error(FieldOf(ex), Describe(ex)));
        }

        if (request is null)
        {
            return new Result(null, Error("body", "a JSON object is required"));
        }

        return new Result(request, Validate(request));
    }

    public static Dictionary<string, string[]> Validate(StartReplicationRequest request)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!JobIdentity.IsValid(request.JobId))
        {
            errors["job_id"] = [$"required: {JobIdentity.Rule}"];
        }

        if (request.Vm is null)
        {
            errors["vm"] = ["required: {\"name\"|\"moref\"|\"uuid\": \"...\"}"];
        }
        else if (request.Vm.Validate() is { } vmError)
        {
            errors["vm"] = [vmError];
        }

        if (!Enum.IsDefined(request.SyncType))
        {
            errors["sync_type"] = ["must be auto, full or incremental"];
        }
        else if (request.SyncType == SyncType.Incremental && (request.PreviousChangeIds is null || request.PreviousChangeIds.Count == 0))
        {
            errors["previous_change_ids"] = ["required when sync_type is incremental"];
        }

        if (request.PreviousChangeIds?.Count > MaxDisks)
        {
            errors["previous_change_ids"] = [$"at most {MaxDisks} entries (one per disk of the VM)"];
        }
        else
        {
            foreach (var (diskId, changeId) in request.PreviousChangeIds ?? new Dictionary<string, string>())
            {
                if (string.IsNullOrWhiteSpace(diskId))
                {
                    errors["previous_change_ids"] = ["disk ids must not be empty"];
                }
                else if (!IsChangeId(changeId))
                {
                    errors[$"previous_change_ids.{SafeText.Escape(diskId, 128)}"] = ["must be a CBT change id of the form <uuid>/<sequence>"];
                }
            }
        }

        if (request.BandwidthLimitBps is <= 0)
        {
            errors["bandwidth_limit_bps"] = ["must be a positive number of bytes per second"];
        }

        if (request.Target is { } target)
        {
            if (target.Disks is null || target.Disks.Count == 0)
            {
                errors["target.disks"] = ["must map at least one disk id to {\"uri\": ...}; leave target out to use the VMA's default"];
            }
            else if (target.Disks.Count > MaxDisks)
            {
                errors["target.disks"] = [$"at most {MaxDisks} entries (one per disk of the VM)"];
            }
            else
            {
                foreach (var (diskId, disk) in target.Disks)
                {
                    var uriError = disk is null ? "required" : TargetResolver.Validate(disk.Uri, out _);
                    if (uriError is not null)
                    {
                        errors[$"target.disks.{SafeText.Escape(diskId, 128)}.uri"] = [uriError];
                    }
                }
            }
        }

        return errors;
    }

    /// <summary>
    /// SHA-256 of the request in one canonical text (dictionaries sorted), so the same body sent again compares equal;
    /// a job keeps this digest, not a copy of the body.
    /// </summary>
    public static string Fingerprint(StartReplicationRequest request)
    {
        var canonical = request with
        {
            PreviousChangeIds = request.PreviousChangeIds is null ? null
                : new SortedDictionary<string, string>(request.PreviousChangeIds.ToDictionary(), StringComparer.Ordinal),
            Target = request.Target is null ? null : request.Target with
            {
                Disks = new SortedDictionary<string, TargetDisk>(request.Target.Disks.ToDictionary(), StringComparer.Ordinal),
            },
        };
        return Convert.ToHexString(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(canonical, ProgressJsonContext.Default.StartReplicationRequest)));
    }

    private static Dictionary<string, string[]> Error(string field, string message) =>
        new(StringComparer.Ordinal) { [field] = [message] };

    private static string FieldOf(JsonException ex)
    {
        var path = ex.Path is null or "$" ? "" : ex.Path.StartsWith("$.", StringComparison.Ordinal) ? ex.Path[2..] : ex.Path.TrimStart('$');
        path = path.Replace("['", ".", StringComparison.Ordinal).Replace("']", "", StringComparison.Ordinal).TrimStart('.');
        var unmapped = UnmappedProperty().Match(ex.Message);
        if (unmapped.Success && !path.EndsWith(unmapped.Groups[1].Value, StringComparison.Ordinal))
        {
            path = path.Length == 0 ? unmapped.Groups[1].Value : $"{path}.{unmapped.Groups[1].Value}";
        }

        return path.Length == 0 ? "body" : SafeText.Escape(path, 200);
    }

    /// <summary>What is wrong, in the API's words: the serializer's own messages name .NET types and are never passed on.</summary>
    private static string Describe(JsonException ex)
    {
        var message = ex.Message;
        if (UnmappedProperty().IsMatch(message))
        {
            return "unknown field";
        }

        if (message.StartsWith("Duplicate", StringComparison.Ordinal))
        {
            return "duplicate field: each field may appear once";
        }

        if (message.StartsWith("must be one of ", StringComparison.Ordinal))
        {
            var cut = message.IndexOf(". Path:", StringComparison.Ordinal);
            return cut > 0 ? message[..cut] : message.TrimEnd('.');
        }

        if (message.Contains("depth", StringComparison.OrdinalIgnoreCase))
        {
            return $"nested deeper than {StrictJson.MaxDepth} levels";
        }

        if (message.Contains("null", StringComparison.Ordinal))
        {
            return "must not be null";
        }

        if (message.Contains("missing required", StringComparison.OrdinalIgnoreCase))
        {
            return "a required field is missing";
        }

        if (message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal))
        {
            return "has a value of the wrong type or form";
        }

        return ex.LineNumber is { } line && ex.BytePositionInLine is { } position
            ? $"is not valid JSON (line {line + 1}, byte {position + 1})"
            : "is not valid JSON";
    }

    /// <summary>
    /// <c>&lt;uuid&gt;/&lt;sequence&gt;</c>: 32 hex digits, optionally separated by '-' or ' ' (vCenter writes
    /// "52 3c ... 1f/12"), a slash, a decimal sequence.
    /// </summary>
    private static bool IsChangeId(string? value)
    {
        var slash = value?.LastIndexOf('/') ?? -1;
        if (value is null || slash <= 0)
        {
            return false;
        }

        var hexDigits = 0;
        foreach (var c in value.AsSpan(0, slash))
        {
            if (char.IsAsciiHexDigit(c))
            {
                hexDigits++;
            }
            else if (c is not ('-' or ' '))
            {
                return false;
            }
        }

        var sequence = value.AsSpan(slash + 1);
        return hexDigits == 32 && sequence.Length is > 0 and <= 18 && !sequence.ContainsAnyExcept("0123456789");
    }

    [GeneratedRegex("The JSON property '([^']+)' could not be mapped")]
    private static partial Regex UnmappedProperty();
}
