using System.Data;
using Dapper;

namespace Migration.Oma.Persistence.Dialects;

/// <summary>
/// A string parameter with its column's type and size (-1: MAX), always the same for one column: SQL Server then
/// compares it with the column without a conversion and caches one plan per statement.
/// </summary>
public sealed class TextParameter(string? value, bool ansi, int size) : SqlMapper.ICustomQueryParameter
{
    public string? Value { get; } = value;

    public void AddParameter(IDbCommand command, string name)
    {
        ArgumentNullException.ThrowIfNull(command);
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.DbType = ansi ? DbType.AnsiString : DbType.String;
        parameter.Size = size;
        parameter.Value = (object?)Value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }
}
