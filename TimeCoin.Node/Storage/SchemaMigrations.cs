using Microsoft.Data.Sqlite;

namespace TimeCoin.Node.Storage;

/// <summary>
/// The schema, as an ordered list of upgrade steps. Step N takes a version N-1 database to version N inside one
/// transaction; a fresh database runs every step. A database newer than this code is refused.
/// </summary>
internal static class SchemaMigrations
{
    private static readonly string[] Steps =
    [
        // 1: blocks, active chain, operator state.
        """
        CREATE TABLE blocks (
            hash   BLOB PRIMARY KEY,
            height INTEGER NOT NULL,
            prev   BLOB NOT NULL,
            header BLOB NOT NULL,
            body   BLOB NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX blocks_by_height ON blocks(height);
        CREATE TABLE active_chain (
            height INTEGER PRIMARY KEY,
            hash   BLOB NOT NULL REFERENCES blocks(hash)
        );
        CREATE TABLE documents (
            name       TEXT PRIMARY KEY,
            json       TEXT NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE TABLE audit_log (
            id      INTEGER PRIMARY KEY AUTOINCREMENT,
            at      INTEGER NOT NULL,
            source  TEXT NOT NULL,
            action  TEXT NOT NULL,
            subject TEXT NOT NULL,
            reason  TEXT NOT NULL
        );
        CREATE TABLE known_peers (
            endpoint       TEXT PRIMARY KEY,
            source         TEXT NOT NULL,
            last_seen      INTEGER NOT NULL,
            last_connected INTEGER,
            failures       INTEGER NOT NULL
        );
        """,
        // 2: blocks become an ordinary rowid table. Version 1 keyed a WITHOUT ROWID table by the (random) block
        // hash with ~1.4 KB rows stored in the key B-tree itself: inserts split pages everywhere, the file grew to
        // 3.9x the block bytes and loading headers was slow. The copy keeps every block and the active chain.
        """
        CREATE TABLE blocks_v2 (
            id     INTEGER PRIMARY KEY,
            hash   BLOB NOT NULL UNIQUE,
            height INTEGER NOT NULL,
            prev   BLOB NOT NULL,
            header BLOB NOT NULL,
            body   BLOB NOT NULL
        );
        INSERT INTO blocks_v2(hash, height, prev, header, body) SELECT hash, height, prev, header, body FROM blocks ORDER BY height;
        CREATE TABLE active_chain_v2 (
            height INTEGER PRIMARY KEY,
            hash   BLOB NOT NULL REFERENCES blocks_v2(hash)
        );
        INSERT INTO active_chain_v2(height, hash) SELECT height, hash FROM active_chain;
        DROP TABLE active_chain;
        DROP TABLE blocks;
        ALTER TABLE blocks_v2 RENAME TO blocks;
        ALTER TABLE active_chain_v2 RENAME TO active_chain;
        CREATE INDEX blocks_by_height ON blocks(height);
        """,
        // 3: the header is stored once, as the first 192 bytes of the encoded block (start-up reads it with
        // substr); version 2 also kept a copy in its own column. Every block and the active chain stay.
        """
        ALTER TABLE blocks DROP COLUMN header;
        """,
    ];

    public static int ReadVersion(SqliteConnection db)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = "PRAGMA user_version;";
        return Convert.ToInt32(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The SQL of each step, for tests that build an old database.</summary>
    public static string StepSql(int version) => Steps[version - 1];

    public static void Apply(SqliteConnection db, int target)
    {
        int version = ReadVersion(db);
        if (version > Steps.Length || version > target)
            throw new InvalidDataException(
                $"Database '{db.DataSource}' has schema version {version}, newer than this time-node understands ({target}). Upgrade time-node.");
        for (int next = version + 1; next <= target; next++)
        {
            using var tx = db.BeginTransaction();
            using var cmd = db.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = Steps[next - 1] + $"\nPRAGMA user_version = {next};";
            cmd.ExecuteNonQuery();
            tx.Commit();
        }
    }
}
