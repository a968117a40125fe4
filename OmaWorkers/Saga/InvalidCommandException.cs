namespace Migration.OmaWorkers.Saga;

/// <summary>A command that can never succeed (missing job id, bad VM reference, bad URL): not retried, ends in <c>_error</c>.</summary>
public sealed class InvalidCommandException(string message) : Exception(message);
