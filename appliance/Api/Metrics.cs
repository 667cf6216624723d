using System.Globalization;
using System.Text;
using Redoubt.Commit;
using Redoubt.Ingest;
using Redoubt.Storage.Events;

namespace Redoubt.Api;

/// <summary>
/// GET /metrics: the Prometheus text exposition format (version 0.0.4), written by hand (a few dozen
/// lines do not need a package). Metric and label names are part of the API: add, never rename.
/// Label values are escaped as the format asks (\\, \", \n); sources are bounded by Ingest:MaxSources.
/// </summary>
public static class Metrics
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static IResult Write(HttpContext http, EventLog log, ListenerRegistry listeners, EventFanout fanout, IngestBudget budget, Summary.RedactionPolicy policy)
    {
        var sourceName = ApiEndpoints.SourceNames(http, policy); // summary-only callers get source names as the redaction policy says
        var w = new Writer();
        w.Family("redoubt_store_events", "gauge", "Events held in the event log.");
        w.Sample("redoubt_store_events", [], log.Stats.Events);
        w.Family("redoubt_store_parse_errors", "gauge", "Stored events marked parse-error.");
        w.Sample("redoubt_store_parse_errors", [], log.Stats.ParseErrors);
        w.Family("redoubt_store_bytes", "gauge", "Bytes the event log takes on disk.");
        w.Sample("redoubt_store_bytes", [], log.StoreBytes);
        w.Family("redoubt_store_queued_writes", "gauge", "Write requests waiting for the appender.");
        w.Sample("redoubt_store_queued_writes", [], log.QueuedRequests);
        w.Family("redoubt_store_failed", "gauge", "1 when the event log has failed and takes no writes.");
        w.Sample("redoubt_store_failed", [], log.Failure is null ? 0 : 1);
        w.Family("redoubt_ingest_pending_bytes", "gauge", "Bytes taken in by listeners and not yet durable.");
        w.Sample("redoubt_ingest_pending_bytes", [], budget.UsedBytes);
        w.Family("redoubt_ingest_pending_limit_bytes", "gauge", "Ingest:MaxPendingBytes: past it, listeners give their busy signal.");
        w.Sample("redoubt_ingest_pending_limit_bytes", [], budget.CapacityBytes);

        var all = listeners.All;
        void PerListener(string name, string type, string help, Func<ListenerState, double> value)
        {
            w.Family(name, type, help);
            foreach (var l in all) w.Sample(name, [("listener", l.Name), ("transport", l.Transport)], value(l));
        }
        PerListener("redoubt_listener_up", "gauge", "1 while the listener is listening.", l => l.Status == "listening" ? 1 : 0);
        PerListener("redoubt_listener_received_total", "counter", "Events (messages, records, lines) received.", l => l.Received);
        PerListener("redoubt_listener_parsed_total", "counter", "Events that parsed.", l => l.Parsed);
        PerListener("redoubt_listener_parse_errors_total", "counter", "Events stored raw as parse errors, or NDJSON lines rejected.", l => l.ParseErrors);
        PerListener("redoubt_listener_truncated_total", "counter", "Events cut at the size limit.", l => l.Truncated);
        PerListener("redoubt_listener_dropped_total", "counter", "Events lost before storage (UDP: store queue full).", l => l.Dropped);
        PerListener("redoubt_listener_busy_total", "counter", "Batches refused with a busy signal (HTTP 503, forward: no ack); the client retries.", l => l.Busy);
        PerListener("redoubt_listener_malformed_total", "counter", "Frames that were not the protocol; their connection was closed.", l => l.Malformed);
        PerListener("redoubt_listener_bytes_total", "counter", "Bytes read from the network.", l => l.Bytes);
        PerListener("redoubt_listener_last_seen_timestamp_seconds", "gauge", "Time of the last event (Unix seconds; 0: none yet).", l => l.LastSeenMs / 1000.0);
        PerListener("redoubt_listener_connections_total", "counter", "Connections accepted.", l => l.Connections);
        PerListener("redoubt_listener_connections_open", "gauge", "Connections open now.", l => l.OpenConnections);
        PerListener("redoubt_listener_connection_errors_total", "counter", "Connections that ended with an error.", l => l.ConnectionErrors);
        PerListener("redoubt_listener_connections_refused_total", "counter", "Connections refused at the maximum.", l => l.RefusedConnections);
        PerListener("redoubt_listener_idle_closed_total", "counter", "Connections closed after the idle timeout.", l => l.IdleClosed);
        PerListener("redoubt_listener_auth_failures_total", "counter", "Handshakes refused (forward shared key).", l => l.AuthFailures);
        w.Family("redoubt_listener_rejected_total", "counter", "Connections, datagrams or frames turned away, by reason (see /api/v1/stats rejected).");
        foreach (var l in all)
            for (var i = 0; i < Rejections.Count; i++)
                w.Sample("redoubt_listener_rejected_total", [("listener", l.Name), ("transport", l.Transport), ("reason", Rejections.Name((RejectionReason)i))],
                    l.RejectedCount((RejectionReason)i));

        var sources = listeners.Sources.Snapshot();
        void PerSource(string name, string type, string help, Func<SourceView, double> value)
        {
            w.Family(name, type, help);
            foreach (var s in sources) w.Sample(name, [("source", sourceName(s.Counters.Key))], value(s));
        }
        PerSource("redoubt_source_received_total", "counter", "Events received from the source since start.", s => s.Counters.Received);
        PerSource("redoubt_source_parsed_total", "counter", "Events from the source that parsed.", s => s.Counters.Parsed);
        PerSource("redoubt_source_parse_errors_total", "counter", "Events from the source that did not parse.", s => s.Counters.ParseErrors);
        PerSource("redoubt_source_truncated_total", "counter", "Events from the source cut at the size limit.", s => s.Counters.Truncated);
        PerSource("redoubt_source_dropped_total", "counter", "Events from the source lost before storage.", s => s.Counters.Dropped);
        PerSource("redoubt_source_bytes_total", "counter", "Payload bytes from the source.", s => s.Counters.Bytes);
        PerSource("redoubt_source_last_seen_timestamp_seconds", "gauge", "Time of the source's last event (Unix seconds).", s => s.Counters.LastSeenMs / 1000.0);
        PerSource("redoubt_source_quiet", "gauge", "1 when the source sent nothing for Ingest:QuietAfter.", s => s.Quiet ? 1 : 0);
        w.Family("redoubt_sources_quiet", "gauge", "Sources flagged quiet.");
        w.Sample("redoubt_sources_quiet", [], sources.Count(s => s.Quiet));

        w.Family("redoubt_sink_lag_bytes", "gauge", "Committed log bytes a sink has not applied yet.");
        foreach (var p in fanout.Progress) w.Sample("redoubt_sink_lag_bytes", [("sink", p.Name)], Math.Max(0, log.CommittedUntil - p.AppliedUntil));
        return Results.Text(w.ToString(), ContentType, Encoding.UTF8);
    }

    private sealed class Writer
    {
        private readonly StringBuilder _text = new(8192);

        public void Family(string name, string type, string help) =>
            _text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
                 .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

        public void Sample(string name, (string Name, string Value)[] labels, double value)
        {
            _text.Append(name);
            if (labels.Length > 0)
            {
                _text.Append('{');
                for (var i = 0; i < labels.Length; i++)
                {
                    if (i > 0) _text.Append(',');
                    _text.Append(labels[i].Name).Append("=\"");
                    foreach (var c in labels[i].Value)
                    {
                        switch (c)
                        {
                            case '\\': _text.Append(@"\\"); break;
                            case '"': _text.Append("\\\""); break;
                            case '\n': _text.Append(@"\n"); break;
                            default: _text.Append(c); break;
                        }
                    }
                    _text.Append('"');
                }
                _text.Append('}');
            }
            _text.Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }

        public override string ToString() => _text.ToString();
    }
}
