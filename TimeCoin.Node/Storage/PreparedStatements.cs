using Microsoft.Data.Sqlite;

namespace TimeCoin.Node.Storage;

/// <summary>
/// The prepared commands of one connection, kept for its lifetime: a command created per call made SQLite parse and
/// plan its statement again every time (every block a node stores, every batch of blocks it serves, every save), and
/// the parsing was a visible share of a node's CPU. Callers hold the database's lock; a command is bound to the
/// transaction of the call (or none) each time it is handed out, and its parameters are set by position in the order
/// they were declared.
/// </summary>
internal sealed class PreparedStatements(SqliteConnection db) : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    /// <summary>
    /// The prepared command for <paramref name="sql"/>, bound to <paramref name="transaction"/>; the first call declares
    /// its <paramref name="parameters"/> (later calls must declare the same ones) and prepares it.
    /// </summary>
    public SqliteCommand Get(string sql, SqliteTransaction? transaction, params ReadOnlySpan<(string Name, SqliteType Type)> parameters)
    {
        if (_commands.TryGetValue(sql, out var command))
        {
            command.Transaction = transaction;
            return command;
        }
        command = db.CreateCommand();
        try
        {
            command.CommandText = sql;
            command.Transaction = transaction;
            foreach (var (name, type) in parameters)
                command.Parameters.Add(name, type);
            command.Prepare();
        }
        catch
        {
            command.Dispose();
            throw;
        }
        _commands.Add(sql, command);
        return command;
    }

    /// <summary>Disposes every command (before the connection is closed).</summary>
    public void Dispose()
    {
        foreach (var command in _commands.Values)
            command.Dispose();
        _commands.Clear();
    }
}
