using System.Reflection;
using System.Text;
using Dapper;
using Migration.Oma.Persistence.Dialects;
using Migration.OmaWorkers.Saga;

namespace Migration.OmaWorkers.SagaRepository;

/// <summary>
/// The one mapping between <see cref="ReplicationState"/> and <c>replication_jobs</c>: every read/write property is a
/// snake_case column, except <c>JobId</c> (<c>id</c>) and <c>CurrentState</c> (<c>saga_state</c>).
/// </summary>
/// <remarks>
/// Built from the class itself so a property added to the saga instance cannot be silently left out of the row: the
/// SQL then names a column that a migration script must add.
/// </remarks>
public static class ReplicationStateColumns
{
    public sealed record Column(string Name, PropertyInfo Property);

    /// <summary>Every column written: the read/write properties, and <c>status</c>, the projection of the saga's state.</summary>
    public static IReadOnlyList<Column> All { get; } = typeof(ReplicationState)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanRead && (p.CanWrite || p.Name == nameof(ReplicationState.Status)))
        .Select(p => new Column(ColumnName(p.Name), p))
        .ToArray();

    /// <summary>Columns an UPDATE writes: not the key, not the correlation id, not the version (the WHERE clause owns it).</summary>
    public static IReadOnlyList<Column> Updatable { get; } = All
        .Where(c => c.Name is not ("id" or "correlation_id" or "version"))
        .ToArray();

    /// <summary>The text columns' types (the SQL Server script's): VARCHAR for keys and codes, NVARCHAR for what users typed.</summary>
    private static readonly Dictionary<string, (bool Ansi, int Length)> TextColumns = new(StringComparer.Ordinal)
    {
        ["id"] = (true, 255),
        ["saga_state"] = (true, 64),
        ["status"] = (true, 50),
        ["current_operation"] = (true, 255),
        ["error_message"] = (false, -1),
        ["vma_url"] = (true, 2048),
        ["vm_name"] = (false, 255),
        ["vm_ref_kind"] = (true, 16),
        ["requested_sync_type"] = (true, 16),
        ["sync_type"] = (true, 16),
        ["target_json"] = (false, -1),
        ["previous_change_ids_json"] = (false, -1),
        ["disk_digest"] = (true, -1),
    };

    public static string ColumnName(string propertyName) => propertyName switch
    {
        nameof(ReplicationState.JobId) => "id",
        nameof(ReplicationState.CurrentState) => "saga_state",
        _ => ToSnakeCase(propertyName),
    };

    public static string SelectList { get; } = string.Join(", ", All.Where(c => c.Property.CanWrite).Select(c => $"{c.Name} AS {c.Property.Name}"));

    /// <summary>The values of every column, in <see cref="All"/> order: the snapshot a later UPDATE is compared with.</summary>
    public static object?[] Capture(ReplicationState state)
    {
        var values = new object?[All.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = All[i].Property.GetValue(state);
        }

        return values;
    }

    public static bool Unchanged(object?[] snapshot, ReplicationState state)
    {
        for (var i = 0; i < snapshot.Length; i++)
        {
            if (!Equals(snapshot[i], All[i].Property.GetValue(state)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>One parameter per property (named like the property), converted for the provider.</summary>
    public static DynamicParameters Parameters(ReplicationState state, SqlDialect dialect)
    {
        var parameters = new DynamicParameters();
        foreach (var column in All)
        {
            var raw = column.Property.GetValue(state);
            if (TextColumns.TryGetValue(column.Name, out var text) && (raw is string || column.Property.PropertyType == typeof(string)))
            {
                var bound = text.Ansi ? dialect.Ansi((string?)raw, text.Length) : dialect.Unicode((string?)raw, text.Length);
                parameters.Add(column.Property.Name, bound, bound is null ? dialect.NullParameterType(typeof(string)) : null);
                continue;
            }

            if (raw is decimal percent)
            {
                parameters.Add(column.Property.Name, dialect.Percent(percent));
                continue;
            }

            var value = dialect.ToParameter(raw);
            parameters.Add(column.Property.Name, value, value is null ? dialect.NullParameterType(column.Property.PropertyType) : null);
        }

        return parameters;
    }

    private static string ToSnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0)
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
