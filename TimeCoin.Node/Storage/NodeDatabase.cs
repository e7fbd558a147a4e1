using Microsoft.Data.Sqlite;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Node.Storage;

/// <summary>
/// The node's embedded store (SQLite in WAL mode): blocks by hash with side branches, the active chain by height,
/// and the operator state (policy and masternode registry snapshots, the audit log, known peers).
/// </summary>
/// <remarks>
/// Durability: every write is one transaction; a batch of blocks and the move of the tip they cause commit
/// together, so a process killed at any moment restarts on a consistent chain. WAL with synchronous=NORMAL keeps
/// committed transactions across a process crash (SIGKILL); <see cref="NodeDatabaseOptions.SynchronousFull"/>
/// also keeps them across power loss at the cost of an fsync per commit.
/// The database is owned by one node: the data directory is locked for as long as it is open.
/// </remarks>
public sealed class NodeDatabase : IDisposable
{
    /// <summary>The schema version this code writes. Older databases are upgraded on open.</summary>
    public const int CurrentSchemaVersion = 3;

    /// <summary>File name of the database inside the data directory.</summary>
    public const string FileName = "node.db";

    private readonly DataDirectoryLock? _lock;
    private readonly SqliteConnection _db;
    private readonly object _gate = new();
    private readonly PreparedStatements _statements;

    private NodeDatabase(DataDirectoryLock? dirLock, SqliteConnection db, string path)
    {
        _lock = dirLock;
        _db = db;
        _statements = new PreparedStatements(db);
        DatabasePath = path;
    }

    /// <summary>Full path of the database file.</summary>
    public string DatabasePath { get; }

    /// <summary>Opens (creating or upgrading as needed) the database in <paramref name="dataDirectory"/>.</summary>
    /// <exception cref="DataDirectoryInUseException">Another node has the directory open.</exception>
    /// <exception cref="InvalidDataException">The database was written by a newer version of time-node, or the file is
    /// not a database or is damaged (the message names the file).</exception>
    /// <exception cref="IOException">SQLite cannot open the file otherwise (e.g. no permission); the message names it.</exception>
    public static NodeDatabase Open(string dataDirectory, NodeDatabaseOptions? options = null)
    {
        options ??= new NodeDatabaseOptions();
        if (options.InMemoryName is { } name)
            return OpenInMemory(name);
        var dirLock = DataDirectoryLock.Acquire(dataDirectory);
        SqliteConnection? db = null;
        try
        {
            var path = Path.Combine(dataDirectory, FileName);
            db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
            db.Open();
            Execute(db, "PRAGMA journal_mode=WAL;");
            Execute(db, options.SynchronousFull ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;");
            Execute(db, "PRAGMA foreign_keys=ON;");
            // A 16 MiB page cache (SQLite's default is 2 MiB: the random-hash unique index of a 100,000-block chain
            // already outgrows it) and a checkpoint every 8,192 WAL pages (32 MiB; the default is 1,000 pages): during
            // catch-up the default moved the WAL into the database every few 500-block batches, each time with an fsync
            // on the thread that adds blocks. Measured writing 100,000 blocks of 1 KiB in 500-block transactions: CPU
            // 21.4-21.9 -> 18.3-19.3 µs per block, wall 53-62 -> 31-33 µs (docs/benchmarks.md, issue 12 session 4).
            // Durability is unchanged: committed transactions survive a process crash either way; with synchronous=
            // NORMAL a power loss may lose what was not yet checkpointed (now up to 32 MiB of WAL instead of 4 MiB).
            Execute(db, "PRAGMA cache_size=-16384;");
            Execute(db, "PRAGMA wal_autocheckpoint=8192;");
            SchemaMigrations.Apply(db, CurrentSchemaVersion);
            return new NodeDatabase(dirLock, db, path);
        }
        catch (SqliteException ex)
        {
            db?.Dispose();
            dirLock.Dispose();
            // "file is not a database", a damaged file, no permission: one line naming the file (the file is left as it is).
            var path = Path.Combine(dataDirectory, FileName);
            var message = $"the node database '{path}' cannot be opened: {ex.Message}";
            throw ex.SqliteErrorCode is 11 or 26 // SQLITE_CORRUPT, SQLITE_NOTADB
                ? new InvalidDataException(message + " (move the file aside to start with an empty chain)", ex)
                : new IOException(message, ex);
        }
        catch
        {
            db?.Dispose();
            dirLock.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The shared-cache in-memory database <paramref name="name"/> (see <see cref="NodeDatabaseOptions.InMemoryName"/>):
    /// same schema and transactions as the file, no data directory and no lock.
    /// </summary>
    private static NodeDatabase OpenInMemory(string name)
    {
        var db = new SqliteConnection(InMemoryConnectionString(name));
        try
        {
            db.Open();
            Execute(db, "PRAGMA foreign_keys=ON;");
            SchemaMigrations.Apply(db, CurrentSchemaVersion);
            return new NodeDatabase(null, db, "memory:" + name);
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The connection string of the shared-cache in-memory database <paramref name="name"/>. SQLite keeps such a
    /// database for as long as one connection to it is open, so a holder of one keeps it across node restarts.
    /// </summary>
    public static string InMemoryConnectionString(string name) =>
        new SqliteConnectionStringBuilder { DataSource = name, Mode = SqliteOpenMode.Memory, Cache = SqliteCacheMode.Shared, Pooling = false }.ToString();

    /// <summary>The schema version stored in the database.</summary>
    public int SchemaVersion
    {
        get
        {
            lock (_gate) return SchemaMigrations.ReadVersion(_db);
        }
    }

    // ---- blocks -------------------------------------------------------------------------------------------

    /// <summary>
    /// Stores <paramref name="blocks"/> (already known ones are ignored) and applies <paramref name="move"/> in one
    /// transaction: after a crash either all of it is there or none of it.
    /// </summary>
    public void StoreBlocks(IReadOnlyList<StoredBlock> blocks, ActiveChainUpdate? move)
    {
        using var write = BeginBlockWrite();
        foreach (var block in blocks)
            write.Insert(block);
        write.Commit(move);
    }

    /// <summary>
    /// Opens one write transaction for blocks and a tip move: the caller inserts blocks as it accepts them (so
    /// inserting overlaps with verifying the next ones) and commits once. The database is held by the calling thread
    /// until the transaction is committed or disposed (disposing without committing rolls everything back).
    /// </summary>
    public BlockWriteTransaction BeginBlockWrite()
    {
        Monitor.Enter(_gate);
        try
        {
            return new BlockWriteTransaction(_db, _statements, () => Monitor.Exit(_gate));
        }
        catch
        {
            Monitor.Exit(_gate);
            throw;
        }
    }

    internal static void ApplyMove(PreparedStatements statements, SqliteTransaction tx, ActiveChainUpdate move)
    {
        var delete = statements.Get("DELETE FROM active_chain WHERE height >= $n;", tx, ("$n", SqliteType.Integer));
        delete.Parameters[0].Value = move.FirstHeight;
        delete.ExecuteNonQuery();
        // The foreign key (active_chain.hash REFERENCES blocks(hash), foreign_keys=ON) is the "is it stored" check:
        // one index lookup per height instead of a SELECT and then the same lookup again for the key.
        var insert = statements.Get("INSERT INTO active_chain(height, hash) VALUES ($n, $h);", tx,
            ("$n", SqliteType.Integer), ("$h", SqliteType.Blob));
        var n = insert.Parameters[0];
        var h = insert.Parameters[1];
        for (int i = 0; i < move.Hashes.Count; i++)
        {
            n.Value = move.FirstHeight + i;
            h.Value = move.Hashes[i].ToArray();
            try
            {
                insert.ExecuteNonQuery();
            }
            catch (SqliteException e) when (e.SqliteExtendedErrorCode == 787) // SQLITE_CONSTRAINT_FOREIGNKEY
            {
                throw new InvalidOperationException($"Cannot make block {move.Hashes[i]} active at height {move.FirstHeight + i}: it is not stored.", e);
            }
        }
    }

    /// <summary>True when the block is stored (on any branch).</summary>
    public bool HasBlock(Hash256 hash)
    {
        lock (_gate)
        {
            var cmd = _statements.Get("SELECT 1 FROM blocks WHERE hash = $h;", null, ("$h", SqliteType.Blob));
            cmd.Parameters[0].Value = hash.ToArray();
            return cmd.ExecuteScalar() is not null;
        }
    }

    /// <summary>The encoded block, or null when it is not stored.</summary>
    public byte[]? GetBlockBody(Hash256 hash)
    {
        lock (_gate)
        {
            var cmd = _statements.Get(SelectBody, null, ("$h", SqliteType.Blob));
            cmd.Parameters[0].Value = hash.ToArray();
            return cmd.ExecuteScalar() as byte[];
        }
    }

    /// <summary>
    /// The encoded blocks of <paramref name="hashes"/> that are stored, in the order asked (unknown ones skipped, a hash
    /// asked again skipped: a peer repeating one large block's hash gets it once), at most <paramref name="maxCount"/>
    /// and, after the first, at most <paramref name="maxBytes"/> in all: one lock and one prepared statement for the
    /// whole request (serving a peer's block request used to prepare a statement per block).
    /// </summary>
    public IReadOnlyList<byte[]> GetBlockBodies(IReadOnlyList<Hash256> hashes, int maxCount, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        var result = new List<byte[]>(Math.Min(hashes.Count, maxCount));
        if (maxCount <= 0)
            return result;
        lock (_gate)
        {
            var cmd = _statements.Get(SelectBody, null, ("$h", SqliteType.Blob));
            var h = cmd.Parameters[0];
            long bytes = 0;
            var asked = new HashSet<Hash256>(hashes.Count);
            foreach (var hash in hashes)
            {
                if (!asked.Add(hash))
                    continue;
                h.Value = hash.ToArray();
                if (cmd.ExecuteScalar() is not byte[] body)
                    continue;
                if (bytes + body.Length > maxBytes && result.Count > 0)
                    break;
                bytes += body.Length;
                result.Add(body);
                if (result.Count >= maxCount)
                    break;
            }
        }
        return result;
    }

    private const string SelectBody = "SELECT body FROM blocks WHERE hash = $h;";

    /// <summary>The active block hash at <paramref name="height"/>, or null above the tip.</summary>
    public Hash256? GetActiveHash(long height)
    {
        lock (_gate)
        {
            var cmd = _statements.Get("SELECT hash FROM active_chain WHERE height = $n;", null, ("$n", SqliteType.Integer));
            cmd.Parameters[0].Value = height;
            return cmd.ExecuteScalar() is byte[] bytes ? new Hash256(bytes) : null;
        }
    }

    /// <summary>The height of the active tip, or null when no block is active yet.</summary>
    public long? GetTipHeight()
    {
        lock (_gate)
        {
            using var cmd = _db.CreateCommand();
            cmd.CommandText = "SELECT MAX(height) FROM active_chain;";
            return cmd.ExecuteScalar() is long height ? height : null;
        }
    }

    /// <summary>The active chain in height order (hashes only).</summary>
    public IReadOnlyList<Hash256> LoadActiveChain()
    {
        lock (_gate)
        {
            var result = new List<Hash256>();
            using var cmd = _db.CreateCommand();
            cmd.CommandText = "SELECT height, hash FROM active_chain ORDER BY height;";
            using var reader = cmd.ExecuteReader();
            long expected = -1;
            while (reader.Read())
            {
                long height = reader.GetInt64(0);
                if (expected >= 0 && height != expected)
                    throw new InvalidDataException($"Active chain index has a gap at height {expected} in '{DatabasePath}'.");
                expected = height + 1;
                result.Add(new Hash256((byte[])reader[1]));
            }
            return result;
        }
    }

    /// <summary>
    /// Every stored header (all branches), parents before children: the first <see cref="StoredBlock.HeaderSize"/>
    /// bytes of each stored block (the header is stored once, as the start of the encoded block).
    /// </summary>
    public IReadOnlyList<byte[]> LoadAllHeaders()
    {
        lock (_gate)
        {
            var result = new List<byte[]>();
            using var cmd = _db.CreateCommand();
            cmd.CommandText = $"SELECT substr(body, 1, {StoredBlock.HeaderSize}) FROM blocks ORDER BY height;";
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
                result.Add((byte[])reader[0]);
            return result;
        }
    }

    /// <summary>Number of stored blocks on all branches.</summary>
    public long CountBlocks()
    {
        lock (_gate)
        {
            using var cmd = _db.CreateCommand();
            cmd.CommandText = "SELECT COUNT(*) FROM blocks;";
            return (long)cmd.ExecuteScalar()!;
        }
    }

    // ---- operator state -----------------------------------------------------------------------------------

    /// <summary>Saves a named state document (for example the peer policy or the masternode registry snapshot).</summary>
    public void SaveDocument(string name, string json, DateTimeOffset at)
    {
        lock (_gate)
            SaveDocumentLocked(name, json, at, null);
    }

    /// <summary>
    /// Appends audit records and saves a state document in one transaction: both are stored or neither (a policy change
    /// and the snapshot that holds it).
    /// </summary>
    public void AppendAuditAndSaveDocument(IEnumerable<AuditRow> rows, string name, string json, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(rows);
        lock (_gate)
        {
            using var tx = _db.BeginTransaction();
            AppendAuditLocked(rows, tx);
            SaveDocumentLocked(name, json, at, tx);
            tx.Commit();
        }
    }

    private void SaveDocumentLocked(string name, string json, DateTimeOffset at, SqliteTransaction? tx)
    {
        var cmd = _statements.Get("INSERT INTO documents(name, json, updated_at) VALUES ($n, $j, $t) " +
                                  "ON CONFLICT(name) DO UPDATE SET json = excluded.json, updated_at = excluded.updated_at;", tx,
            ("$n", SqliteType.Text), ("$j", SqliteType.Text), ("$t", SqliteType.Integer));
        cmd.Parameters[0].Value = name;
        cmd.Parameters[1].Value = json;
        cmd.Parameters[2].Value = at.ToUnixTimeMilliseconds();
        cmd.ExecuteNonQuery();
    }

    /// <summary>The named state document, or null when it was never saved.</summary>
    public string? LoadDocument(string name)
    {
        lock (_gate)
        {
            using var cmd = _db.CreateCommand();
            cmd.CommandText = "SELECT json FROM documents WHERE name = $n;";
            cmd.Parameters.AddWithValue("$n", name);
            return cmd.ExecuteScalar() as string;
        }
    }

    /// <summary>Appends audit records (one transaction).</summary>
    public void AppendAudit(IEnumerable<AuditRow> rows)
    {
        lock (_gate)
        {
            using var tx = _db.BeginTransaction();
            AppendAuditLocked(rows, tx);
            tx.Commit();
        }
    }

    private void AppendAuditLocked(IEnumerable<AuditRow> rows, SqliteTransaction tx)
    {
        var cmd = _statements.Get("INSERT INTO audit_log(at, source, action, subject, reason) VALUES ($t, $s, $a, $r, $why);", tx,
            ("$t", SqliteType.Integer), ("$s", SqliteType.Text), ("$a", SqliteType.Text), ("$r", SqliteType.Text), ("$why", SqliteType.Text));
        var (t, s, a, r, why) = (cmd.Parameters[0], cmd.Parameters[1], cmd.Parameters[2], cmd.Parameters[3], cmd.Parameters[4]);
        foreach (var row in rows)
        {
            t.Value = row.At.ToUnixTimeMilliseconds();
            s.Value = row.Source;
            a.Value = row.Action;
            r.Value = row.Subject;
            why.Value = row.Reason;
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>The most recent audit records, newest first.</summary>
    public IReadOnlyList<AuditRow> LoadAudit(int limit)
    {
        lock (_gate)
        {
            var result = new List<AuditRow>();
            using var cmd = _db.CreateCommand();
            cmd.CommandText = "SELECT at, source, action, subject, reason FROM audit_log ORDER BY id DESC LIMIT $l;";
            cmd.Parameters.AddWithValue("$l", limit);
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
                result.Add(new AuditRow(DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(0)), reader.GetString(1),
                    reader.GetString(2), reader.GetString(3), reader.GetString(4)));
            return result;
        }
    }

    /// <summary>Inserts or updates known peers (one transaction); rows not given stay as they are.</summary>
    public void UpsertKnownPeers(IEnumerable<KnownPeerRow> peers) => WriteKnownPeers(peers, replace: false);

    /// <summary>
    /// Makes the stored known peers the given set (one transaction): each is inserted or updated as by
    /// <see cref="UpsertKnownPeers"/>, and every stored row not in the set is deleted. The node's address book is
    /// bounded and forgets addresses (made-up ones that never answer, ones past the failure limit); the table follows
    /// it instead of growing with every address ever heard of and handing them back at each restart.
    /// </summary>
    public void ReplaceKnownPeers(IEnumerable<KnownPeerRow> peers) => WriteKnownPeers(peers, replace: true);

    private void WriteKnownPeers(IEnumerable<KnownPeerRow> peers, bool replace)
    {
        lock (_gate)
        {
            using var tx = _db.BeginTransaction();
            var cmd = _statements.Get("INSERT INTO known_peers(endpoint, source, last_seen, last_connected, failures) VALUES ($e, $s, $seen, $conn, $f) " +
                                      "ON CONFLICT(endpoint) DO UPDATE SET source = excluded.source, last_seen = excluded.last_seen, " +
                                      "last_connected = COALESCE(excluded.last_connected, known_peers.last_connected), failures = excluded.failures;", tx,
                ("$e", SqliteType.Text), ("$s", SqliteType.Text), ("$seen", SqliteType.Integer), ("$conn", SqliteType.Integer), ("$f", SqliteType.Integer));
            var (e, s, seen, conn, f) = (cmd.Parameters[0], cmd.Parameters[1], cmd.Parameters[2], cmd.Parameters[3], cmd.Parameters[4]);
            var written = replace ? new HashSet<string>(StringComparer.Ordinal) : null;
            foreach (var peer in peers)
            {
                e.Value = peer.Endpoint;
                s.Value = peer.Source;
                seen.Value = peer.LastSeen.ToUnixTimeMilliseconds();
                conn.Value = peer.LastConnected is { } c ? c.ToUnixTimeMilliseconds() : DBNull.Value;
                f.Value = peer.Failures;
                cmd.ExecuteNonQuery();
                written?.Add(peer.Endpoint);
            }
            if (written is not null)
            {
                var stale = new List<string>();
                using (var select = _db.CreateCommand())
                {
                    select.Transaction = tx;
                    select.CommandText = "SELECT endpoint FROM known_peers;";
                    using var reader = select.ExecuteReader();
                    while (reader.Read())
                        if (!written.Contains(reader.GetString(0)))
                            stale.Add(reader.GetString(0));
                }
                using var delete = _db.CreateCommand();
                delete.Transaction = tx;
                delete.CommandText = "DELETE FROM known_peers WHERE endpoint = $e;";
                var endpoint = delete.Parameters.Add("$e", SqliteType.Text);
                foreach (var row in stale)
                {
                    endpoint.Value = row;
                    delete.ExecuteNonQuery();
                }
            }
            tx.Commit();
        }
    }

    /// <summary>All known peers: those that gave a connection first (most recent first), then by fewest failures.</summary>
    public IReadOnlyList<KnownPeerRow> LoadKnownPeers()
    {
        lock (_gate)
        {
            var result = new List<KnownPeerRow>();
            using var cmd = _db.CreateCommand();
            cmd.CommandText = "SELECT endpoint, source, last_seen, last_connected, failures FROM known_peers ORDER BY last_connected IS NULL, last_connected DESC, failures, endpoint;";
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
                result.Add(new KnownPeerRow(reader.GetString(0), reader.GetString(1),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)),
                    reader.IsDBNull(3) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
                    reader.GetInt32(4)));
            return result;
        }
    }

    private static void Execute(SqliteConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            try
            {
                _statements.Dispose();
                _db.Dispose();
            }
            finally
            {
                _lock?.Dispose(); // the data directory is released even when closing the database failed
            }
        }
    }
}
