using System.Collections.Concurrent;
using System.Linq.Expressions;
using MassTransit;
using Migration.Contracts;
using Migration.Contracts.Text;

namespace Migration.Oma.Bus;

/// <summary>
/// Around every consumer and saga step: a logging scope with JobId and CorrelationId, and exceptions logged with that
/// context before MassTransit retries or moves the message to <c>_error</c> (the host never crashes).
/// </summary>
public sealed partial class JobScopeFilter<T>(ILogger<JobScopeFilter<T>> logger) : IFilter<ConsumeContext<T>>
    where T : class
{
    private static readonly Func<T, string?>? JobIdOf = JobIdAccessor.For<T>();

    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        var rawJobId = JobIdOf?.Invoke(context.Message);
        var correlationId = JobIdentity.IsValid(rawJobId) ? JobIdentity.ToCorrelationId(rawJobId!) : (Guid?)null;
        // A message that breaks the id rule is rejected further in, but its id is logged here first: escaped.
        var jobId = rawJobId is null || correlationId is not null ? rawJobId : SafeText.Escape(rawJobId);
        using var scope = logger.BeginScope(new MessageScope(jobId, correlationId, typeof(T).Name));
        try
        {
            await next.Send(context);
        }
        catch (Exception ex)
        {
            LogFailed(logger, ex, typeof(T).Name, jobId, correlationId, context.GetRetryAttempt());
            throw;
        }
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("jobScope");

    [LoggerMessage(LogLevel.Error, "{MessageType} for job {JobId} (correlation {CorrelationId}) failed on attempt {RetryAttempt}")]
    private static partial void LogFailed(ILogger logger, Exception exception, string messageType, string? jobId, Guid? correlationId, int retryAttempt);
}

internal static class JobIdAccessor
{
    private static readonly ConcurrentDictionary<Type, Delegate?> Cache = new();

    public static Func<T, string?>? For<T>() => (Func<T, string?>?)Cache.GetOrAdd(typeof(T), static type =>
    {
        var property = type.GetProperty(nameof(StartReplication.JobId));
        if (property?.PropertyType != typeof(string))
        {
            return null;
        }

        var message = Expression.Parameter(type);
        return Expression.Lambda<Func<T, string?>>(Expression.Property(message, property), message).Compile();
    });
}
