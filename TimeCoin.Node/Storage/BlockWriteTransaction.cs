using Microsoft.Data.Sqlite;

namespace TimeCoin.Node.Storage;

/// <summary>
/// One open write transaction of <see cref="NodeDatabase.BeginBlockWrite"/>: blocks are inserted one by one as they
/// are accepted and committed with the tip move they cause, all or nothing. Not thread-safe; the database stays held
/// by the thread that opened it until <see cref="Commit"/> or <see cref="Dispose"/>.
/// </summary>
public sealed class BlockWriteTransaction : IDisposable
{
    private readonly SqliteConnection _db;
    private readonly Action _release;
    private readonly SqliteTransaction _tx;
    private SqliteCommand? _insert;
    private SqliteParameter? _hash, _height, _prev, _body;
    private bool _finished;
    private bool _released;

    internal BlockWriteTransaction(SqliteConnection db, Action release)
    {
        _db = db;
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
        if (_insert is null)
        {
            _insert = _db.CreateCommand();
            _insert.Transaction = _tx;
            _insert.CommandText = "INSERT OR IGNORE INTO blocks(hash, height, prev, body) VALUES ($h, $n, $p, $b);";
            _hash = _insert.Parameters.Add("$h", SqliteType.Blob);
            _height = _insert.Parameters.Add("$n", SqliteType.Integer);
            _prev = _insert.Parameters.Add("$p", SqliteType.Blob);
            _body = _insert.Parameters.Add("$b", SqliteType.Blob);
            _insert.Prepare();
        }
        _hash!.Value = block.Hash.ToArray();
        _height!.Value = block.Height;
        _prev!.Value = block.PreviousHash.ToArray();
        _body!.Value = block.Body;
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
                NodeDatabase.ApplyMove(_db, _tx, move);
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
            _insert?.Dispose();
            _tx.Dispose(); // rolls back when not committed
        }
        finally
        {
            _release();
        }
    }
}
