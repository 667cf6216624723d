// Redoubt console — sources: listeners (state, counters, last seen), per-source counters, sinks.
// Columns follow what /api/v1/stats reports in this build (newer builds report more counters).
// The same counters are in Prometheus form at /metrics.
// SECURITY: source names are whatever a sender calls itself: text only (ui.js).
'use strict';

(() => {
  const S = window.RedoubtSession;
  const U = window.RedoubtUI;
  const { el } = U;
  const $ = (id) => document.getElementById(id);

  // [field, header, kind]: kind n = number, b = bytes, t = time, m = monospace text, s = state,
  // x = long text cut short (whole in the tooltip and below the table), l = list, k = name=value map, r = rejections by reason (only the reasons that happened).
  const LISTENER_COLUMNS = [
    ['name', 'Name', ''], ['transport', 'Transport', ''], ['bind', 'Bind', 'm'], ['status', 'State', 's'],
    ['tls', 'TLS', 'x'], ['allowedNetworks', 'Allowed networks', 'l'], ['tags', 'Tags', 'k'],
    ['received', 'Received', 'n'], ['parsed', 'Parsed', 'n'], ['parseErrors', 'Parse errors', 'n'], ['truncated', 'Truncated', 'n'],
    ['dropped', 'Dropped', 'n'], ['busy', 'Busy', 'n'], ['malformed', 'Malformed', 'n'], ['bytes', 'Bytes', 'b'],
    ['connections', 'Connections', 'n'], ['openConnections', 'Open', 'n'], ['connectionErrors', 'Conn. errors', 'n'],
    ['refusedConnections', 'Refused', 'n'], ['idleClosed', 'Idle closed', 'n'], ['authFailures', 'Auth failures', 'n'],
    ['rejected', 'Rejected', 'r'], ['lastSeen', 'Last seen', 't'],
  ];
  const SOURCE_COLUMNS = [
    ['source', 'Source', 'm'], ['quiet', 'State', 'q'], ['received', 'Received', 'n'], ['parsed', 'Parsed', 'n'],
    ['parseErrors', 'Parse errors', 'n'], ['truncated', 'Truncated', 'n'], ['dropped', 'Dropped', 'n'], ['bytes', 'Bytes', 'b'],
    ['firstSeen', 'First seen', 't'], ['lastSeen', 'Last seen', 't'], ['lastSender', 'Last sender', 'm'], ['lastListener', 'Listener', ''],
  ];

  function cell(kind, v) {
    if (v === undefined || v === null) return el('td', null, '—');
    switch (kind) {
      case 'n': return el('td', 'num', U.num(v));
      case 'b': return el('td', 'num', U.bytes(v));
      case 't': { const td = el('td', null, U.ago(v)); td.setAttribute('title', U.time(v)); return td; }
      case 's': return el('td', `state-${U.token(v)}`, v);
      case 'q': return el('td', v ? 'state-quiet' : 'state-active', v ? 'quiet' : 'sending');
      case 'x': { const td = U.textEl('td', null, U.plain(v, 24)); td.setAttribute('title', U.plain(v, 2000)); return td; }
      case 'l': return U.textEl('td', 'mono', Array.isArray(v) && v.length ? v.join(', ') : 'any');
      case 'k': return U.textEl('td', 'mono', Object.entries(v).map(([k, x]) => `${k}=${x}`).join(' ') || '—');
      case 'r': {
        const hit = Object.entries(v).filter(([, n]) => n > 0);
        const td = U.textEl('td', hit.length ? 'mono' : 'num', hit.length ? hit.map(([k, n]) => `${k} ${U.num(n)}`).join(', ') : '0');
        td.setAttribute('data-rejected', String(hit.reduce((sum, [, n]) => sum + n, 0)));
        return td;
      }
      default: { const td = U.textEl('td', kind === 'm' ? 'mono' : null, v); return td; }
    }
  }

  // Only the columns some row actually has: an older build's stats have fewer counters.
  // key: how a row is found (a listener by transport and bind: names repeat, e.g. "syslog" on UDP and TCP).
  function fill(table, columns, items, key) {
    const present = columns.filter(([f]) => items.some((x) => x[f] !== undefined));
    const head = U.clear(table.tHead.rows[0]);
    for (const [, h] of present) head.appendChild(el('th', null, h));
    const tbody = U.clear(table.tBodies[0]);
    for (const x of items) {
      const tr = el('tr');
      tr.setAttribute('data-key', U.plain(key(x), 300));
      if (x.quiet) tr.classList.add('quiet');
      for (const [f, , kind] of present) tr.appendChild(cell(kind, x[f]));
      tbody.appendChild(tr);
    }
  }

  function sources(stats) {
    if (Array.isArray(stats.sources)) {
      const after = stats.ingest && stats.ingest.quietAfterSeconds;
      $('sources-note').textContent = `A source is the host name (or address) events arrive under. Quiet: nothing for ${after ? U.duration(after) : 'a while'}.`;
      return stats.sources;
    }
    $('sources-note').textContent = 'Events stored per source. This build keeps no per-source last-seen time or quiet flag.';
    return Object.entries(stats.bySource || {}).map(([source, received]) => ({ source, received }));
  }

  // The TLS description (protocols, certificate, fingerprint, client certificates) in full, one line per listener.
  function tlsDetails(listeners) {
    const ul = U.clear($('listeners-tls'));
    for (const l of listeners.filter((x) => x.tls)) {
      const li = el('li');
      li.appendChild(U.textEl('span', 'mono', `${l.transport} ${l.bind}`));
      li.appendChild(document.createTextNode(': '));
      li.appendChild(U.text(l.tls));
      ul.appendChild(li);
    }
  }

  function ingest(stats) {
    const i = stats.ingest;
    if (!i) { $('ingest-note').textContent = ''; return; }
    const parts = [`waiting to be stored: ${U.bytes(i.pendingBytes)} of ${U.bytes(i.pendingLimitBytes)} (past that, listeners push back or refuse)`];
    if (i.sourcesOverflowed) parts.push(`${U.num(i.sourcesOverflowed)} events counted under "(other)": more sources than the table keeps`);
    $('ingest-note').textContent = parts.join('; ');
  }

  async function load() {
    const stats = await S.get('/api/v1/stats');
    ingest(stats);
    fill($('listeners-table'), LISTENER_COLUMNS, stats.listeners || [], (l) => `${l.transport} ${l.bind}`);
    tlsDetails(stats.listeners || []);
    const filter = $('sources-filter').value.trim().toLowerCase();
    const all = sources(stats).sort((a, b) => (b.received || 0) - (a.received || 0));
    fill($('sources-table'), SOURCE_COLUMNS, filter ? all.filter((s) => String(s.source).toLowerCase().includes(filter)) : all, (s) => s.source);
    const sinks = U.clear($('sinks-table').tBodies[0]);
    for (const s of stats.sinks || []) sinks.appendChild(U.row([s.name, U.num(s.applied), U.num(s.lagBytes), U.num(s.failures)]));
    U.clearError();
  }

  $('sources-filter').addEventListener('input', () => load().catch((e) => U.showError(e.message)));
  S.ready.then(() => U.every(5000, load)).catch((e) => U.showError(e.message));
})();
