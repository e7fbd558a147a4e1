using Microsoft.Data.Sqlite;
using TimeCoin.Core.Crypto;
using TimeCoin.Node.Storage;

namespace TimeCoin.Node.Tests.Storage;

public class NodeDatabaseTests
{
    private static StoredBlock FakeBlock(long height, Hash256 prev, string tag)
    {
        // A header-sized start (what start-up reads back) and a payload after it.
        var body = new byte[StoredBlock.HeaderSize + 16];
        System.Text.Encoding.UTF8.GetBytes($"{tag}/{height}").CopyTo(body, 0);
        body[^1] = 0xee;
        return new StoredBlock(Hash256.Sha256(body), height, prev, body);
    }

    private static List<StoredBlock> FakeChain(int count, string tag, StoredBlock? from = null)
    {
        var list = new List<StoredBlock>();
        var prev = from;
        for (int i = 0; i < count; i++)
        {
            var block = FakeBlock((prev?.Height ?? -1) + 1, prev?.Hash ?? Hash256.Zero, tag);
            list.Add(block);
            prev = block;
        }
        return list;
    }

    [Fact]
    public void Open_FreshDirectory_CreatesCurrentSchema()
    {
        using var dir = new TempDirectory();
        using var db = NodeDatabase.Open(dir.Path);
        Assert.Equal(NodeDatabase.CurrentSchemaVersion, db.SchemaVersion);
        Assert.Null(db.GetTipHeight());
    }

    [Fact]
    public void GetBlockBodies_MixedKnownAndUnknown_StoredOnesInTheOrderAskedWithinCountAndBytes()
    {
        using var dir = new TempDirectory();
        using var db = NodeDatabase.Open(dir.Path);
        var chain = FakeChain(6, "bodies");
        db.StoreBlocks(chain, null);
        var unknown = Hash256.Sha256("not stored"u8);
        var asked = new[] { chain[4].Hash, unknown, chain[1].Hash, chain[2].Hash, chain[0].Hash };
        int size = chain[0].Body.Length;

        Assert.Equal([chain[4].Body, chain[1].Body, chain[2].Body, chain[0].Body], db.GetBlockBodies(asked, maxCount: 10, maxBytes: long.MaxValue));
        Assert.Equal([chain[4].Body, chain[1].Body], db.GetBlockBodies(asked, maxCount: 2, maxBytes: long.MaxValue));
        Assert.Equal([chain[4].Body, chain[1].Body], db.GetBlockBodies(asked, maxCount: 10, maxBytes: 2 * size + 1));
        // The first block goes out even when it alone is over the byte bound: a reply always makes progress.
        Assert.Equal([chain[4].Body], db.GetBlockBodies(asked, maxCount: 10, maxBytes: 1));
        Assert.Empty(db.GetBlockBodies([unknown], maxCount: 10, maxBytes: long.MaxValue));
    }

    [Fact]
    public void Open_DirectoryAlreadyOpen_FailsFastNamingTheDirectory()
    {
        using var dir = new TempDirectory();
        using var first = NodeDatabase.Open(dir.Path);
        var ex = Assert.Throws<DataDirectoryInUseException>(() => NodeDatabase.Open(dir.Path));
        Assert.Contains(dir.Path, ex.Message);
        Assert.Contains("in use", ex.Message);
    }

    [Fact]
    public void Open_LockFileCannotBeWritten_IsNotReportedAsInUse()
    {
        // A full disk: the lock file is /dev/full, which opens and locks but refuses every write (ENOSPC).
        if (!File.Exists("/dev/full"))
            return; // Linux only
        using var dir = new TempDirectory();
        File.CreateSymbolicLink(Path.Combine(dir.Path, ".lock"), "/dev/full");

        var ex = Assert.ThrowsAny<IOException>(() => DataDirectoryLock.Acquire(dir.Path));

        Assert.IsNotType<DataDirectoryInUseException>(ex);
        Assert.Contains(".lock", ex.Message);
    }

    [Fact]
    public void Open_AfterFirstNodeClosed_Succeeds()
    {
        using var dir = new TempDirectory();
        NodeDatabase.Open(dir.Path).Dispose();
        using var again = NodeDatabase.Open(dir.Path);
        Assert.Equal(NodeDatabase.CurrentSchemaVersion, again.SchemaVersion);
    }

    [Fact]
    public void Open_DatabaseFromNewerVersion_IsRefused()
    {
        using var dir = new TempDirectory();
        NodeDatabase.Open(dir.Path).Dispose();
        using (var raw = new SqliteConnection($"Data Source={Path.Combine(dir.Path, NodeDatabase.FileName)};Pooling=false"))
        {
            raw.Open();
            using var cmd = raw.CreateCommand();
            cmd.CommandText = "PRAGMA user_version = 99;";
            cmd.ExecuteNonQuery();
        }
        var ex = Assert.Throws<InvalidDataException>(() => NodeDatabase.Open(dir.Path));
        Assert.Contains("99", ex.Message);
    }

    [Fact]
    public void StoreBlocks_Extension_MovesTipAndSurvivesReopen()
    {
        using var dir = new TempDirectory();
        var chain = FakeChain(10, "a");
        using (var db = NodeDatabase.Open(dir.Path))
            db.StoreBlocks(chain, new ActiveChainUpdate(0, chain.Select(b => b.Hash).ToList()));
        using var reopened = NodeDatabase.Open(dir.Path);
        Assert.Equal(9, reopened.GetTipHeight());
        Assert.Equal(chain.Select(b => b.Hash), reopened.LoadActiveChain());
        Assert.Equal(chain[4].Body, reopened.GetBlockBody(chain[4].Hash));
    }

    [Fact]
    public void StoreBlocks_Reorganization_ReplacesActiveHeightsAndKeepsSideBranch()
    {
        using var dir = new TempDirectory();
        using var db = NodeDatabase.Open(dir.Path);
        var main = FakeChain(10, "a");
        db.StoreBlocks(main, new ActiveChainUpdate(0, main.Select(b => b.Hash).ToList()));
        var branch = FakeChain(7, "b", from: main[5]); // heights 6..12
        db.StoreBlocks(branch, new ActiveChainUpdate(6, branch.Select(b => b.Hash).ToList()));

        Assert.Equal(12, db.GetTipHeight());
        Assert.Equal(main[5].Hash, db.GetActiveHash(5));
        Assert.Equal(branch[0].Hash, db.GetActiveHash(6));
        Assert.True(db.HasBlock(main[9].Hash)); // the old branch stays, so a reorg back needs no download
        Assert.Equal(17, db.CountBlocks());
    }

    [Fact]
    public void StoreBlocks_ShorterReplacement_RemovesHeightsAboveNewTip()
    {
        using var dir = new TempDirectory();
        using var db = NodeDatabase.Open(dir.Path);
        var main = FakeChain(10, "a");
        db.StoreBlocks(main, new ActiveChainUpdate(0, main.Select(b => b.Hash).ToList()));
        var branch = FakeChain(2, "b", from: main[5]);
        db.StoreBlocks(branch, new ActiveChainUpdate(6, branch.Select(b => b.Hash).ToList()));
        Assert.Equal(7, db.GetTipHeight());
        Assert.Null(db.GetActiveHash(8));
    }

    [Fact]
    public void StoreBlocks_MoveToUnstoredBlock_RollsBackTheWholeBatch()
    {
        using var dir = new TempDirectory();
        using var db = NodeDatabase.Open(dir.Path);
        var main = FakeChain(3, "a");
        db.StoreBlocks(main, new ActiveChainUpdate(0, main.Select(b => b.Hash).ToList()));
        var next = FakeChain(2, "a", from: main[2]);
        var bogus = Hash256.Sha256("not stored"u8);

        Assert.Throws<InvalidOperationException>(() =>
            db.StoreBlocks(next, new ActiveChainUpdate(3, [next[0].Hash, bogus])));

        Assert.Equal(2, db.GetTipHeight());
        Assert.False(db.HasBlock(next[0].Hash)); // the blocks of the failed batch are not half-stored

        // The statements are prepared once per database and reused: the failed ones work again in the next batch.
        db.StoreBlocks(next, new ActiveChainUpdate(3, next.Select(b => b.Hash).ToList()));
        Assert.Equal(4, db.GetTipHeight());
        Assert.Equal(next[1].Hash, db.GetActiveHash(4));
        Assert.Equal(next[0].Body, db.GetBlockBody(next[0].Hash));
    }

    [Fact]
    public void StoreBlocks_SameBlockTwice_IsIgnored()
    {
        using var dir = new TempDirectory();
        using var db = NodeDatabase.Open(dir.Path);
        var chain = FakeChain(3, "a");
        db.StoreBlocks(chain, null);
        db.StoreBlocks(chain, null);
        Assert.Equal(3, db.CountBlocks());
        Assert.Null(db.GetTipHeight());
    }

    [Fact]
    public void LoadAllHeaders_ReturnsParentsBeforeChildren()
    {
        using var dir = new TempDirectory();
        using var db = NodeDatabase.Open(dir.Path);
        var chain = FakeChain(5, "a");
        db.StoreBlocks(chain.AsEnumerable().Reverse().ToList(), null);
        Assert.Equal(chain.Select(b => b.Body[..StoredBlock.HeaderSize]), db.LoadAllHeaders());
    }

    [Fact]
    public void SaveDocument_Twice_KeepsLatestAcrossReopen()
    {
        using var dir = new TempDirectory();
        using (var db = NodeDatabase.Open(dir.Path))
        {
            db.SaveDocument("policy", "{\"v\":1}", DateTimeOffset.UnixEpoch);
            db.SaveDocument("policy", "{\"v\":2}", DateTimeOffset.UnixEpoch.AddSeconds(1));
        }
        using var reopened = NodeDatabase.Open(dir.Path);
        Assert.Equal("{\"v\":2}", reopened.LoadDocument("policy"));
        Assert.Null(reopened.LoadDocument("missing"));
    }

    [Fact]
    public void AppendAudit_LoadAudit_NewestFirst()
    {
        using var dir = new TempDirectory();
        using var db = NodeDatabase.Open(dir.Path);
        var t0 = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        db.AppendAudit([new AuditRow(t0, "config", "whitelist-add", "10.0.0.0/8", "operator"),
                        new AuditRow(t0.AddSeconds(5), "rpc", "ban", "1.2.3.4/32", "spam")]);
        var rows = db.LoadAudit(10);
        Assert.Equal(2, rows.Count);
        Assert.Equal("ban", rows[0].Action);
        Assert.Equal(t0, rows[1].At);
    }

    [Fact]
    public void LoadKnownPeers_ProvedFirstMostRecentFirstThenFewestFailures()
    {
        // The address book is bounded: when the stored rows are more than it holds, the ones restored first are kept.
        using var dir = new TempDirectory();
        using var db = NodeDatabase.Open(dir.Path);
        var t0 = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        db.UpsertKnownPeers([
            new KnownPeerRow("1.1.1.1:1", "gossip", t0, null, 3),
            new KnownPeerRow("1.1.1.2:1", "gossip", t0, t0, 7),
            new KnownPeerRow("1.1.1.3:1", "gossip", t0, null, 0),
            new KnownPeerRow("1.1.1.4:1", "gossip", t0, t0.AddHours(1), 9),
        ]);

        Assert.Equal(["1.1.1.4:1", "1.1.1.2:1", "1.1.1.3:1", "1.1.1.1:1"], db.LoadKnownPeers().Select(p => p.Endpoint).ToArray());
    }

    [Fact]
    public void ReplaceKnownPeers_DeletesRowsNotGivenKeepsStoredLastConnection()
    {
        using var dir = new TempDirectory();
        using var db = NodeDatabase.Open(dir.Path);
        var t0 = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        db.UpsertKnownPeers([new KnownPeerRow("1.2.3.4:24100", "gossip", t0, t0, 0), new KnownPeerRow("1.2.3.5:24100", "gossip", t0, null, 0)]);

        db.ReplaceKnownPeers([new KnownPeerRow("1.2.3.4:24100", "masternode", t0.AddMinutes(5), null, 1)]);

        var row = Assert.Single(db.LoadKnownPeers());
        Assert.Equal(("1.2.3.4:24100", "masternode", t0, 1), (row.Endpoint, row.Source, row.LastConnected, row.Failures));

        db.ReplaceKnownPeers([]);
        Assert.Empty(db.LoadKnownPeers());
    }

    [Fact]
    public void UpsertKnownPeers_UpdateKeepsLastConnectedWhenNotGiven()
    {
        using var dir = new TempDirectory();
        using var db = NodeDatabase.Open(dir.Path);
        var t0 = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        db.UpsertKnownPeers([new KnownPeerRow("1.2.3.4:24100", "discovery", t0, t0, 0)]);
        db.UpsertKnownPeers([new KnownPeerRow("1.2.3.4:24100", "discovery", t0.AddMinutes(1), null, 2)]);
        var peer = Assert.Single(db.LoadKnownPeers());
        Assert.Equal(t0, peer.LastConnected);
        Assert.Equal(2, peer.Failures);
        Assert.Equal(t0.AddMinutes(1), peer.LastSeen);
    }
}

public class NodeDatabaseMigrationTests
{
    [Fact]
    public void Open_Version1Database_UpgradesKeepingBlocksAndActiveChain()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, NodeDatabase.FileName);
        var hashes = new List<Hash256>();
        using (var raw = new SqliteConnection($"Data Source={path};Pooling=false"))
        {
            raw.Open();
            using var cmd = raw.CreateCommand();
            cmd.CommandText = SchemaMigrations.StepSql(1) + "\nPRAGMA user_version = 1;";
            cmd.ExecuteNonQuery();
            var prev = Hash256.Zero;
            for (int h = 0; h < 5; h++)
            {
                var body = new byte[] { (byte)h, 1, 2, 3 };
                var hash = Hash256.Sha256(body);
                using var insert = raw.CreateCommand();
                insert.CommandText = "INSERT INTO blocks(hash, height, prev, header, body) VALUES ($h, $n, $p, $hd, $b); " +
                                     "INSERT INTO active_chain(height, hash) VALUES ($n, $h);";
                insert.Parameters.AddWithValue("$h", hash.ToArray());
                insert.Parameters.AddWithValue("$n", h);
                insert.Parameters.AddWithValue("$p", prev.ToArray());
                insert.Parameters.AddWithValue("$hd", body);
                insert.Parameters.AddWithValue("$b", body);
                insert.ExecuteNonQuery();
                hashes.Add(hash);
                prev = hash;
            }
        }

        using var db = NodeDatabase.Open(dir.Path);
        Assert.Equal(NodeDatabase.CurrentSchemaVersion, db.SchemaVersion);
        Assert.Equal(hashes, db.LoadActiveChain());
        Assert.Equal(new byte[] { 3, 1, 2, 3 }, db.GetBlockBody(hashes[3]));
        // The upgraded tables still take new blocks and tip moves.
        var next = new StoredBlock(Hash256.Sha256("next"u8), 5, hashes[4], [9]);
        db.StoreBlocks([next], new ActiveChainUpdate(5, [next.Hash]));
        Assert.Equal(5, db.GetTipHeight());
    }

    [Fact]
    public void Open_Version2Database_UpgradesStoringTheHeaderOnceAndKeepsEveryBlock()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, NodeDatabase.FileName);
        var hashes = new List<Hash256>();
        var bodies = new List<byte[]>();
        using (var raw = new SqliteConnection($"Data Source={path};Pooling=false"))
        {
            raw.Open();
            using var cmd = raw.CreateCommand();
            cmd.CommandText = SchemaMigrations.StepSql(1) + "\n" + SchemaMigrations.StepSql(2) + "\nPRAGMA user_version = 2;";
            cmd.ExecuteNonQuery();
            var prev = Hash256.Zero;
            for (int h = 0; h < 5; h++)
            {
                var body = new byte[StoredBlock.HeaderSize + 100];
                body[0] = (byte)h;
                body[^1] = (byte)(100 + h);
                var hash = Hash256.Sha256(body);
                using var insert = raw.CreateCommand();
                insert.CommandText = "INSERT INTO blocks(hash, height, prev, header, body) VALUES ($h, $n, $p, $hd, $b); " +
                                     "INSERT INTO active_chain(height, hash) VALUES ($n, $h);";
                insert.Parameters.AddWithValue("$h", hash.ToArray());
                insert.Parameters.AddWithValue("$n", h);
                insert.Parameters.AddWithValue("$p", prev.ToArray());
                insert.Parameters.AddWithValue("$hd", body[..StoredBlock.HeaderSize]);
                insert.Parameters.AddWithValue("$b", body);
                insert.ExecuteNonQuery();
                hashes.Add(hash);
                bodies.Add(body);
                prev = hash;
            }
        }

        using (var db = NodeDatabase.Open(dir.Path))
        {
            Assert.Equal(3, db.SchemaVersion);
            Assert.Equal(hashes, db.LoadActiveChain());
            Assert.Equal(bodies[3], db.GetBlockBody(hashes[3]));
            Assert.Equal(bodies.Select(b => b[..StoredBlock.HeaderSize]), db.LoadAllHeaders());
            var next = new StoredBlock(Hash256.Sha256("next"u8), 5, hashes[4], new byte[StoredBlock.HeaderSize + 1]);
            db.StoreBlocks([next], new ActiveChainUpdate(5, [next.Hash]));
            Assert.Equal(5, db.GetTipHeight());
        }
        using var check = new SqliteConnection($"Data Source={path};Pooling=false");
        check.Open();
        using var columns = check.CreateCommand();
        columns.CommandText = "SELECT name FROM pragma_table_info('blocks') ORDER BY cid;";
        var names = new List<string>();
        using (var reader = columns.ExecuteReader())
        {
            while (reader.Read())
                names.Add(reader.GetString(0));
        }
        Assert.Equal(["id", "hash", "height", "prev", "body"], names); // no separate header column any more
    }
}
