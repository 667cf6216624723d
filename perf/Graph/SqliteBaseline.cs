using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Redoubt.Graph.Algorithms;
using Redoubt.Graph.Engine;
using Redoubt.Storage.Graph;

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

    public SqliteBaseline(GraphSnapshot g, string file)
    {
        File = file;
        if (System.IO.File.Exists(file)) System.IO.File.Delete(file);
        _db = new SqliteConnection($"Data Source={file}");
        _db.Open();
        var clock = Stopwatch.StartNew();
        Exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-2000000; PRAGMA temp_store=MEMORY;");
        Exec("CREATE TABLE nodes(id INTEGER PRIMARY KEY, kind INTEGER, crown INTEGER, internet INTEGER, entry INTEGER);");
        Exec("CREATE TABLE edges(src INTEGER, type INTEGER, dst INTEGER);");
        Exec("CREATE TABLE steps(src INTEGER, dst INTEGER, cost INTEGER);");
        using (var tx = _db.BeginTransaction())
        {
            using var node = Prepared(tx, "INSERT INTO nodes VALUES($a,$b,$c,$d,$e)", 5);
            for (var v = 0; v < g.NodeCount; v++)
            {
                var f = g.Flags(v);
                Run(node, v, (int)g.Kind(v), (f & NodeFlags.CrownJewel) != 0 ? 1 : 0, (f & NodeFlags.InternetFacing) != 0 ? 1 : 0, g.ExploitCost(v));
            }
            using var edge = Prepared(tx, "INSERT INTO edges VALUES($a,$b,$c)", 3);
            using var step = Prepared(tx, "INSERT INTO steps VALUES($a,$b,$c)", 3);
            for (var e = 0; e < g.EdgeCount; e++)
            {
                var v = g.Edge(e);
                Run(edge, v.Source, (int)v.Type, v.Target);
                // The engine's cost model: no attack step enters a kind it cannot enter (Software), either way.
                var f = g.Costs.CanEnter(g.Kind(v.Target)) ? g.Costs.StepBase(v.Type, false) : 0;
                if (f > 0) { Run(step, v.Source, v.Target, f + (g.Costs.StepAddsExploit(v.Type, false) ? g.ExploitCost(v.Target) : 0)); StepRows++; }
                var b = g.Costs.CanEnter(g.Kind(v.Source)) ? g.Costs.StepBase(v.Type, true) : 0;
                if (b > 0) { Run(step, v.Target, v.Source, b + (g.Costs.StepAddsExploit(v.Type, true) ? g.ExploitCost(v.Source) : 0)); StepRows++; }
            }
            tx.Commit();
        }
        Exec("CREATE INDEX steps_src ON steps(src, dst, cost);");
        Exec("CREATE INDEX edges_dst ON edges(dst, type, src);");
        Exec("CREATE INDEX edges_src ON edges(src, type, dst);");
        Exec("ANALYZE;");
        LoadTime = clock.Elapsed;
    }

    private void Exec(string sql)
    {
        using var c = _db.CreateCommand();
        c.CommandText = sql;
        c.ExecuteNonQuery();
    }

    private SqliteCommand Prepared(SqliteTransaction tx, string sql, int parameters)
    {
        var c = _db.CreateCommand();
        c.Transaction = tx;
        c.CommandText = sql;
        foreach (var name in "abcde"[..parameters]) c.Parameters.Add(new SqliteParameter("$" + name, SqliteType.Integer));
        c.Prepare();
        return c;
    }

    private static void Run(SqliteCommand c, params long[] values)
    {
        for (var i = 0; i < values.Length; i++) c.Parameters[i].Value = values[i];
        c.ExecuteNonQuery();
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
