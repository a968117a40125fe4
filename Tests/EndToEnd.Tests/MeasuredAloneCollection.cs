namespace Migration.Tests.EndToEnd;

/// <summary>
/// Tests that measure the system (commits per poll) run after the others and alone: another test class's processes on
/// the same two cores make polls late, and a late poll costs claim writes that a quiet system does not pay.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public static class MeasuredAloneCollection
{
    public const string Name = "measured alone";
}
