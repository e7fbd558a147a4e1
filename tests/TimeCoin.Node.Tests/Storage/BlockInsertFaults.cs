using Microsoft.Data.Sqlite;

namespace TimeCoin.Node.Tests.Storage;

/// <summary>
/// Injects a store failure (as a full disk or an I/O error would give) into a node database on disk: a trigger makes
/// the insert of chosen blocks abort, and <see cref="Heal"/> removes it.
/// </summary>
internal static class BlockInsertFaults
{
    private static void Sql(string databasePath, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static void FailInsertsWhere(string databasePath, string condition) =>
        Sql(databasePath, $"CREATE TRIGGER test_fail BEFORE INSERT ON blocks {condition} BEGIN SELECT RAISE(ABORT, 'injected: disk full'); END;");

    /// <summary>Every insert of a block at <paramref name="height"/> fails.</summary>
    public static void FailInsertsAt(string databasePath, long height) => FailInsertsWhere(databasePath, $"WHEN NEW.height = {height}");

    /// <summary>Every insert of a block at <paramref name="height"/> or above fails.</summary>
    public static void FailInsertsFrom(string databasePath, long height) => FailInsertsWhere(databasePath, $"WHEN NEW.height >= {height}");

    /// <summary>Every block insert fails.</summary>
    public static void FailAllInserts(string databasePath) => FailInsertsWhere(databasePath, "");

    /// <summary>Removes the injected failure.</summary>
    public static void Heal(string databasePath) => Sql(databasePath, "DROP TRIGGER test_fail;");
}
