using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Redoubt.Graph.Algorithms;
using Redoubt.Graph.Engine;
using Redoubt.Storage.Graph;
using SQLitePCL;

namespace Redoubt.Perf.Graph;

/// <summary>
/// How a flat SIEM store would answer: the same graph as tables in SQLite (a file, warm in the page
/// cache), queried with recursive CTEs. The attack steps are materialised with the engine's costs
/// (forward and reverse, exploit costs included, none into a node kind the model does not let a
/// step enter), which is more help than a SIEM would have.
/// A query running past its cap is interrupted and reported as "more than" the cap.
/// </summary>
public sealed class SqliteBaseline : IDisposable
{
    private readonly SqliteConnection _db;
    public string File { get; }
    public TimeSpan LoadTime { get; }
    public long StepRows { get; private set; }

    /// <summary>How the load's time split: rows inserted, then the indexes built (and ANALYZE).</summary>
    public TimeSpan InsertTime { get; }
    public TimeSpan IndexTime { get; }

    /// <summary>
    /// Loads the graph the fast way SQLite allows, so the baseline fits the bench at full size: one
    /// transaction, journal and sync off, exclusive lock, statements prepared once and bound through
    /// the native API (no per-row ADO.NET command or boxing) with 100 rows per INSERT, tables filled in
    /// key order, and the indexes built after the rows are in (one sort each instead of 18M B-tree inserts).
    /// </summary>
    public SqliteBaseline(GraphSnapshot g, string file)
    {
        File = file;
        if (System.IO.File.Exists(file)) System.IO.File.Delete(file);
        _db = new SqliteConnection($"Data Source={file}");
        _db.Open();
        var clock = Stopwatch.StartNew();
        Exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA locking_mode=EXCLUSIVE; PRAGMA cache_size=-2000000; PRAGMA temp_store=MEMORY; PRAGMA threads=2;");
        Exec("CREATE TABLE nodes(id INTEGER PRIMARY KEY, kind INTEGER, crown INTEGER, internet INTEGER, entry INTEGER);");
        Exec("CREATE TABLE edges(src INTEGER, type INTEGER, dst INTEGER);");
        Exec("CREATE TABLE steps(src INTEGER, dst INTEGER, cost INTEGER);");
        Exec("BEGIN");
        using (var node = new BulkInsert(_db, "nodes", 5))
            for (var v = 0; v < g.NodeCount; v++)
            {
                var f = g.Flags(v);
                node.Add(v, (int)g.Kind(v), (f & NodeFlags.CrownJewel) != 0 ? 1 : 0, (f & NodeFlags.InternetFacing) != 0 ? 1 : 0, g.ExploitCost(v));
            }
        // Edge ids are in source order (the engine's CSR), so this fills edges in src order.
        using (var edge = new BulkInsert(_db, "edges", 3))
            for (var e = 0; e < g.EdgeCount; e++)
            {
                var v = g.Edge(e);
                edge.Add(v.Source, (int)v.Type, v.Target);
            }
        // Steps in src order: node by node, its forward steps (out-edges) then its reverse steps (in-edges).
        // The engine's cost model: no attack step enters a kind it cannot enter (Software), either way.
        var costs = g.Costs;
        using (var step = new BulkInsert(_db, "steps", 3))
            for (var u = 0; u < g.NodeCount; u++)
            {
                foreach (var a in g.Out(u))
                {
                    var f = costs.CanEnter(g.Kind(a.Peer)) ? costs.StepBase(a.Type, false) : 0;
                    if (f > 0) { step.Add(u, a.Peer, f + (costs.StepAddsExploit(a.Type, false) ? g.ExploitCost(a.Peer) : 0)); StepRows++; }
                }
                foreach (var a in g.In(u))
                {
                    var b = costs.CanEnter(g.Kind(a.Peer)) ? costs.StepBase(a.Type, true) : 0;
                    if (b > 0) { step.Add(u, a.Peer, b + (costs.StepAddsExploit(a.Type, true) ? g.ExploitCost(a.Peer) : 0)); StepRows++; }
                }
            }
        Exec("COMMIT");
        InsertTime = clock.Elapsed;
        Exec("CREATE INDEX steps_src ON steps(src, dst, cost);");
        Exec("CREATE INDEX edges_dst ON edges(dst, type, src);");
        Exec("CREATE INDEX edges_src ON edges(src, type, dst);");
        // Statistics from a sample: the planner needs the shape, not an exact count of 18M rows.
        Exec("PRAGMA analysis_limit=10000; ANALYZE;");
        LoadTime = clock.Elapsed;
        IndexTime = LoadTime - InsertTime;
    }

    private void Exec(string sql)
    {
        using var c = _db.CreateCommand();
        c.CommandText = sql;
        c.ExecuteNonQuery();
    }

    /// <summary>
    /// INSERT of integer rows through SQLite's native API: one statement of <see cref="Batch"/> rows
    /// prepared once, bound and stepped again and again; the last partial batch row by row.
    /// </summary>
    private sealed class BulkInsert : IDisposable
    {
        private const int Batch = 100;
        private readonly sqlite3 _db;
        private readonly sqlite3_stmt _many;
        private readonly sqlite3_stmt _one;
        private readonly int _columns;
        private readonly long[] _pending;
        private int _rows;

        public BulkInsert(SqliteConnection db, string table, int columns)
        {
            _db = db.Handle!;
            _columns = columns;
            _pending = new long[Batch * columns];
            var row = "(" + string.Join(",", Enumerable.Repeat("?", columns)) + ")";
            _many = Prepare($"INSERT INTO {table} VALUES " + string.Join(",", Enumerable.Repeat(row, Batch)));
            _one = Prepare($"INSERT INTO {table} VALUES " + row);
        }

        private sqlite3_stmt Prepare(string sql)
        {
            Check(raw.sqlite3_prepare_v2(_db, sql, out var stmt));
            return stmt;
        }

        private void Check(int rc)
        {
            if (rc is not (raw.SQLITE_OK or raw.SQLITE_DONE)) throw new InvalidOperationException($"sqlite: {raw.sqlite3_errmsg(_db).utf8_to_string()} ({rc})");
        }

        public void Add(long a, long b, long c, long d = 0, long e = 0)
        {
            var at = _rows * _columns;
            _pending[at] = a; _pending[at + 1] = b; _pending[at + 2] = c;
            if (_columns > 3) { _pending[at + 3] = d; _pending[at + 4] = e; }
            if (++_rows == Batch) Flush();
        }

        private void Flush()
        {
            if (_rows == Batch)
            {
                for (var i = 0; i < _pending.Length; i++) raw.sqlite3_bind_int64(_many, i + 1, _pending[i]);
                Check(raw.sqlite3_step(_many));
                Check(raw.sqlite3_reset(_many));
            }
            else
                for (var r = 0; r < _rows; r++)
                {
                    for (var k = 0; k < _columns; k++) raw.sqlite3_bind_int64(_one, k + 1, _pending[r * _columns + k]);
                    Check(raw.sqlite3_step(_one));
                    Check(raw.sqlite3_reset(_one));
                }
            _rows = 0;
        }

        public void Dispose()
        {
            Flush();
            _many.Dispose();
            _one.Dispose();
        }
    }

    /// <summary>Runs a query returning one integer, interrupted after <paramref name="cap"/>; null when interrupted.</summary>
    public (long? Value, double Ms) Scalar(string sql, TimeSpan cap, params (string, long)[] args)
    {
        using var c = _db.CreateCommand();
        c.CommandText = sql;
        foreach (var (n, v) in args) c.Parameters.AddWithValue(n, v);
        var clock = Stopwatch.StartNew();
        using var timer = new Timer(_ => SQLitePCL.raw.sqlite3_interrupt(_db.Handle), null, cap, Timeout.InfiniteTimeSpan);
        try
        {
            var result = c.ExecuteScalar();
            return (result is null or DBNull ? 0 : Convert.ToInt64(result), clock.Elapsed.TotalMilliseconds);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 9) // SQLITE_INTERRUPT
        {
            return (null, clock.Elapsed.TotalMilliseconds);
        }
    }

    /// <summary>Nodes reachable from <paramref name="start"/> within <paramref name="hops"/> attack steps (start excluded).</summary>
    public (long? Value, double Ms) BlastRadius(int start, int hops, TimeSpan cap) => Scalar("""
        WITH RECURSIVE reach(n, d) AS (
          SELECT $start, 0
          UNION
          SELECT s.dst, r.d + 1 FROM reach r JOIN steps s ON s.src = r.n WHERE r.d < $hops
        )
        SELECT count(DISTINCT n) - 1 FROM reach
        """, cap, ("$start", start), ("$hops", hops));

    /// <summary>Cheapest attack path cost from a to b over simple paths of at most <paramref name="hops"/> steps.</summary>
    public (long? Value, double Ms) ShortestPath(int from, int to, int hops, TimeSpan cap) => Scalar("""
        WITH RECURSIVE p(n, cost, d, visited) AS (
          SELECT $from, 0, 0, ',' || $from || ','
          UNION ALL
          SELECT s.dst, p.cost + s.cost, p.d + 1, p.visited || s.dst || ','
          FROM p JOIN steps s ON s.src = p.n
          WHERE p.d < $hops AND p.n <> $to AND instr(p.visited, ',' || s.dst || ',') = 0
        )
        SELECT min(cost) FROM p WHERE n = $to
        """, cap, ("$from", from), ("$to", to), ("$hops", hops));

    /// <summary>Sum of the ten cheapest attack path costs from internet-facing nodes (entry = exploit cost) to crown jewels, paths of at most <paramref name="hops"/> steps.</summary>
    public (long? Value, double Ms) TopAttackPaths(int hops, TimeSpan cap) => Scalar("""
        WITH RECURSIVE p(n, cost, d, visited) AS (
          SELECT id, entry, 0, ',' || id || ',' FROM nodes WHERE internet = 1
          UNION ALL
          SELECT s.dst, p.cost + s.cost, p.d + 1, p.visited || s.dst || ','
          FROM p JOIN steps s ON s.src = p.n
          WHERE p.d < $hops AND instr(p.visited, ',' || s.dst || ',') = 0
        )
        SELECT sum(cost) FROM (SELECT p.cost FROM p JOIN nodes j ON j.id = p.n AND j.crown = 1 ORDER BY p.cost LIMIT 10)
        """, cap, ("$hops", hops));

    /// <summary>(user, crown jewel) pairs where the user is MEMBER_OF a group that is ADMIN_TO a host that STORES the jewel.</summary>
    public (long? Value, double Ms) ThreeHopPattern(TimeSpan cap) => Scalar($"""
        SELECT count(*) FROM (
          SELECT DISTINCT m.src, st.dst
          FROM nodes j
          JOIN edges st ON st.dst = j.id AND st.type = {(int)EdgeType.Stores}
          JOIN edges ad ON ad.dst = st.src AND ad.type = {(int)EdgeType.AdminTo}
          JOIN edges m ON m.dst = ad.src AND m.type = {(int)EdgeType.MemberOf}
          JOIN nodes u ON u.id = m.src AND u.kind = {(int)NodeKind.User}
          JOIN nodes gk ON gk.id = ad.src AND gk.kind = {(int)NodeKind.Group}
          JOIN nodes hk ON hk.id = st.src AND hk.kind = {(int)NodeKind.Host}
          WHERE j.crown = 1)
        """, cap);

    public void Dispose()
    {
        _db.Dispose();
        SqliteConnection.ClearAllPools();
        try { System.IO.File.Delete(File); } catch (IOException) { }
    }
}
