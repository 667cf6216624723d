using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Redoubt.Perf.Scale;

/// <summary>
/// The peer for event search: the same events in one SQLite table (what a small log tool would use),
/// indexed on event time and on (host, id), asked the same lookups in-process. Every column the API
/// returns is read, so the peer decodes what the appliance decodes; it has no HTTPS, JSON or auth.
/// </summary>
internal static class SqlitePeer
{
    public static async Task<List<ScaleBench.Row>> RunAsync(ScaleEvents gen, string file, List<ScaleBench.Lookup> lookups, int requests, string label)
    {
        var rows = new List<ScaleBench.Row>();
        var load = Stopwatch.StartNew();
        using var db = new SqliteConnection($"Data Source={file}");
        db.Open();
        Exec(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;" +
                 "CREATE TABLE events(id INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, host TEXT, app TEXT, severity INTEGER, message TEXT)");
        using (var tx = db.BeginTransaction())
        {
            using var insert = db.CreateCommand();
            insert.Transaction = tx;
            insert.CommandText = "INSERT INTO events VALUES ($id, $t, $h, $a, $s, $m)";
            var p = new[] { "$id", "$t", "$h", "$a", "$s", "$m" }.Select(n => insert.Parameters.Add(new SqliteParameter { ParameterName = n })).ToArray();
            insert.Prepare();
            for (long n = 0; n < gen.Count; n++)
            {
                var e = gen.Make(n);
                p[0].Value = n; p[1].Value = e.TimeMs; p[2].Value = (object?)e.Host ?? DBNull.Value; p[3].Value = (object?)e.App ?? DBNull.Value;
                p[4].Value = (int)e.Severity; p[5].Value = (object?)e.Message ?? DBNull.Value;
                insert.ExecuteNonQuery();
            }
            tx.Commit();
        }
        var insertS = load.Elapsed.TotalSeconds;
        Exec(db, "CREATE INDEX events_time ON events(time_ms); CREATE INDEX events_host ON events(host, id); ANALYZE");
        var loadS = load.Elapsed.TotalSeconds;
        rows.Add(new ScaleBench.Row($"SQLite peer, {label}", "loaded and indexed", $"{loadS:F0} s",
            $"{gen.Count:N0} rows in one transaction, journal off ({insertS:F0} s), then indexes on time_ms and (host, id) ({loadS - insertS:F0} s); {new FileInfo(file).Length / 1e6:N0} MB"));
        foreach (var l in lookups)
        {
            using var cmd = db.CreateCommand();
            cmd.CommandText = l.Sql!;
            for (var i = 0; i < l.SqlArgs.Length; i++) cmd.Parameters.AddWithValue(i == 0 ? "$a" : "$b", l.SqlArgs[i]);
            var got = 0;
            var ms = await ScaleBench.SampleAsync(requests, () =>
            {
                got = 0;
                using var r = cmd.ExecuteReader();
                while (r.Read())
                {
                    got++;
                    for (var c = 0; c < r.FieldCount; c++) _ = r.IsDBNull(c) ? null : r.GetValue(c);
                }
                return Task.FromResult("");
            });
            rows.Add(new ScaleBench.Row($"SQLite peer, {label}", l.Name, $"{ScaleBench.P(ms, 50)} / {ScaleBench.P(ms, 99)} ms", $"{ms.Count} queries, {got} rows; `{l.Sql}`"));
        }
        return rows;
    }

    private static void Exec(SqliteConnection db, string sql)
    {
        using var c = db.CreateCommand();
        c.CommandText = sql;
        c.ExecuteNonQuery();
    }
}
