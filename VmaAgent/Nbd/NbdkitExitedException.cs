namespace Migration.VmaAgent.Nbd;

/// <summary>An nbdkit this agent started ended before it listened on its socket.</summary>
public sealed class NbdkitExitedException(string message) : NbdException(message);
