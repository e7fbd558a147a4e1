using Microsoft.Data.Sqlite;

namespace TimeCoin.Node.Storage;

/// <summary>
/// One open write transaction of <see cref="NodeDatabase.BeginBlockWrite"/>: blocks are inserted one by one as they
/// are accepted and committed with the tip move they cause, all or nothing. Not thread-safe; the database stays held
/// by the thread that opened it until <see cref="Commit"/> or <see cref="Dispose"/>.
/// </summary>
public sealed class BlockWriteTransaction : IDisposable
{
    private readonly PreparedStatements _statements;
    private readonly Action _release;
    private readonly SqliteTransaction _tx;
    private SqliteCommand? _insert;
    private bool _finished;
    private bool _released;

    internal BlockWriteTransaction(SqliteConnection db, PreparedStatements statements, Action release)
    {
        _statements = statements;
        _release = release;
        _tx = db.BeginTransaction();
    }

    /// <summary>Blocks inserted so far (already stored ones count too: they are ignored by the insert).</summary>
    public int Count { get; private set; }

    /// <summary>Inserts <paramref name="block"/> unless a block with its hash is already stored.</summary>
    /// <exception cref="InvalidOperationException">The transaction was committed or disposed.</exception>
    public void Insert(StoredBlock block)
    {
        ArgumentNullException.ThrowIfNull(block);
        ObjectDisposedException.ThrowIf(_finished, this);
        _insert ??= _statements.Get("INSERT OR IGNORE INTO blocks(hash, height, prev, body) VALUES ($h, $n, $p, $b);", _tx,
            ("$h", SqliteType.Blob), ("$n", SqliteType.Integer), ("$p", SqliteType.Blob), ("$b", SqliteType.Blob));
        var parameters = _insert.Parameters;
        parameters[0].Value = block.Hash.ToArray();
        parameters[1].Value = block.Height;
        parameters[2].Value = block.PreviousHash.ToArray();
        parameters[3].Value = block.Body;
        _insert.ExecuteNonQuery();
        Count++;
    }

    /// <summary>Applies <paramref name="move"/> (if any) and commits; then releases the database.</summary>
    /// <exception cref="InvalidOperationException">The move names a block that is not stored (nothing is committed).</exception>
    public void Commit(ActiveChainUpdate? move)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        try
        {
            if (move is not null)
                NodeDatabase.ApplyMove(_statements, _tx, move);
            _tx.Commit();
            _finished = true;
        }
        finally
        {
            Dispose();
        }
    }

    /// <summary>Rolls back whatever was not committed and releases the database.</summary>
    public void Dispose()
    {
        if (_released)
            return;
        _released = true;
        _finished = true;
        try
        {
            _tx.Dispose(); // rolls back when not committed (the insert command stays prepared with the database)
        }
        finally
        {
            _release();
        }
    }
}
