namespace Migration.VmaAgent.Sources;

/// <summary>The source (vCenter) could not answer a lookup: unreachable, timed out, or refused the call.</summary>
public sealed class SourceUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A VM reference matches more than one VM; the message names every match.</summary>
public sealed class AmbiguousVmException(string message) : Exception(message);
