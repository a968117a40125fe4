using System.Reflection;

namespace Migration.Hosting;

/// <summary>
/// Builds and runs a host. One that cannot start (a configuration value that does not bind or validate, a broker or a
/// database it cannot reach) ends with one line on stderr naming the key or the server, and exit code 1 — not an
/// unhandled exception's stack trace.
/// </summary>
public static class HostStartup
{
    /// <summary>Builds the host with <paramref name="build"/> (where a bad value may already throw) and runs it.</summary>
    public static int Run(string serviceName, Func<WebApplication> build)
    {
        try
        {
            build().Run();
            return 0;
        }
        // A test host (WebApplicationFactory runs this Main) expects a failed start to reach it as the exception itself.
        catch (Exception ex) when (ex is not HostAbortedException && !InTestHost())
        {
            Console.Error.WriteLine($"{serviceName} cannot start: {Describe(ex)}");
            return 1;
        }
    }

    private static bool InTestHost() =>
        AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "Microsoft.AspNetCore.TestHost");

    /// <summary>
    /// The message that names the problem, on one line: configuration binding and options validation name the key,
    /// the broker and database clients the server; wrappers that add nothing are looked through.
    /// </summary>
    public static string Describe(Exception ex)
    {
        while (ex is AggregateException { InnerExceptions.Count: 1 } or TargetInvocationException && ex.InnerException is { } inner)
        {
            ex = inner;
        }

        var message = string.Join(' ', ex.Message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return ex is InvalidOperationException or ArgumentException or FormatException
            or Microsoft.Extensions.Options.OptionsValidationException
            ? message
            : $"{message} ({ex.GetType().Name})";
    }
}
