namespace Migration.VmaAgent.VSphere;

/// <summary>
/// A SOAP fault from vCenter, typed by the fault's vim25 name. The message names the call and the object it was
/// made on, never a credential.
/// </summary>
public class VimFaultException(string faultType, string call, string? target, string faultString, VimFaultDetail detail)
    : Exception(Describe(faultType, call, target, faultString, detail))
{
    public string FaultType { get; } = faultType;

    public string Call { get; } = call;

    /// <summary>The managed object the call was made on (its moref value), when known.</summary>
    public string? Target { get; } = target;

    public string FaultString { get; } = faultString;

    public VimFaultDetail Detail { get; } = detail;

    /// <summary>The fault for <paramref name="faultType"/>: a subclass for the faults the VMA reacts to, this class for the rest.</summary>
    public static VimFaultException Create(string faultType, string call, string? target, string faultString, VimFaultDetail detail) =>
        faultType switch
        {
            "NotAuthenticated" => new NotAuthenticatedException(call, target, faultString, detail),
            "InvalidLogin" => new InvalidLoginException(call, target, faultString, detail),
            "ManagedObjectNotFound" => new ManagedObjectNotFoundException(call, target, faultString, detail),
            "InvalidState" or "InvalidPowerState" => new InvalidStateException(faultType, call, target, faultString, detail),
            "TaskInProgress" => new TaskInProgressException(call, target, faultString, detail),
            "FileFault" or "FileNotFound" or "FileLocked" or "CannotAccessFile" => new FileFaultException(faultType, call, target, faultString, detail),
            "InvalidArgument" => new InvalidArgumentException(call, target, faultString, detail),
            _ => new VimFaultException(faultType, call, target, faultString, detail),
        };

    private static string Describe(string faultType, string call, string? target, string faultString, VimFaultDetail detail)
    {
        var on = target is null ? "" : $" on {target}";
        var text = string.IsNullOrWhiteSpace(faultString) ? "" : $": {faultString}";
        var extra = detail.FaultMessageKey is { } key ? $" ({key})" : detail.InvalidProperty is { } property ? $" (property {property})" : "";
        return $"vCenter call {call}{on} failed with {faultType}{text}{extra}";
    }
}

/// <summary>The fields of a fault's detail the VMA uses.</summary>
public sealed record VimFaultDetail(string? Object = null, string? File = null, string? InvalidProperty = null, string? FaultMessageKey = null)
{
    public static readonly VimFaultDetail None = new();
}

/// <summary>The session expired or was never valid: log in again and retry once.</summary>
public sealed class NotAuthenticatedException(string call, string? target, string faultString, VimFaultDetail detail)
    : VimFaultException("NotAuthenticated", call, target, faultString, detail);

/// <summary>Wrong user name or password (the message never contains either).</summary>
public sealed class InvalidLoginException(string call, string? target, string faultString, VimFaultDetail detail)
    : VimFaultException("InvalidLogin", call, target, faultString, detail);

public sealed class ManagedObjectNotFoundException(string call, string? target, string faultString, VimFaultDetail detail)
    : VimFaultException("ManagedObjectNotFound", call, target, faultString, detail);

public sealed class InvalidStateException(string faultType, string call, string? target, string faultString, VimFaultDetail detail)
    : VimFaultException(faultType, call, target, faultString, detail);

public sealed class TaskInProgressException(string call, string? target, string faultString, VimFaultDetail detail)
    : VimFaultException("TaskInProgress", call, target, faultString, detail);

/// <summary>A file-level failure; from QueryChangedDiskAreas it means CBT cannot answer for that change id (reset, no epoch).</summary>
public sealed class FileFaultException(string faultType, string call, string? target, string faultString, VimFaultDetail detail)
    : VimFaultException(faultType, call, target, faultString, detail);

public sealed class InvalidArgumentException(string call, string? target, string faultString, VimFaultDetail detail)
    : VimFaultException("InvalidArgument", call, target, faultString, detail);

/// <summary>A vCenter task ended in error; the message is vCenter's own (its localized message).</summary>
public sealed class VimTaskFailedException(string call, string target, string faultType, string message)
    : Exception($"vCenter task {call} on {target} failed: {message} ({faultType})")
{
    public string FaultType { get; } = faultType;

    public string VCenterMessage { get; } = message;
}

/// <summary>vCenter could not be reached or did not answer in time (the message says which and how long).</summary>
public sealed class VimUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
