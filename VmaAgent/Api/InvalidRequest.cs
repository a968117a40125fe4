namespace Migration.VmaAgent.Api;

/// <summary>The 400 problem document of a request body that fails validation: every error keyed by its API field, and all of them in the detail.</summary>
public static class InvalidRequest
{
    public static IResult Problem(string title, Dictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, title: title,
            detail: string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")));
}
