using System.Data;
using Dapper;

namespace Migration.Oma.Persistence.Dialects;

/// <summary>
/// A DECIMAL parameter with its column's precision and scale. Without them SQL Server's client derives both from each
/// value, and every value shape compiles and caches a plan of its own.
/// </summary>
public sealed class DecimalParameter(decimal value, byte precision, byte scale) : SqlMapper.ICustomQueryParameter
{
    public decimal Value { get; } = value;

    public void AddParameter(IDbCommand command, string name)
    {
        ArgumentNullException.ThrowIfNull(command);
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.DbType = DbType.Decimal;
        parameter.Precision = precision;
        parameter.Scale = scale;
        parameter.Value = Value;
        command.Parameters.Add(parameter);
    }
}
