// Redoubt console — sources: listeners (state, counters, last seen), per-source counters, sinks.
// Columns follow what /api/v1/stats reports in this build (newer builds report more counters).
// SECURITY: source names are whatever a sender calls itself: text only (ui.js).
'use strict';

(() => {
  const S = window.RedoubtSession;
  const U = window.RedoubtUI;
  const { el } = U;
  const $ = (id) => document.getElementById(id);

  // [field, header, kind]: kind n = number, t = time, m = monospace text, s = state.
  const LISTENER_COLUMNS = [
    ['name', 'Name', ''], ['transport', 'Transport', ''], ['bind', 'Bind', 'm'], ['status', 'State', 's'],
    ['received', 'Received', 'n'], ['parsed', 'Parsed', 'n'], ['parseErrors', 'Parse errors', 'n'], ['truncated', 'Truncated', 'n'],
    ['dropped', 'Dropped', 'n'], ['busy', 'Busy', 'n'], ['malformed', 'Malformed', 'n'], ['bytes', 'Bytes', 'b'],
    ['connections', 'Connections', 'n'], ['openConnections', 'Open', 'n'], ['connectionErrors', 'Conn. errors', 'n'],
    ['refusedConnections', 'Refused', 'n'], ['idleClosed', 'Idle closed', 'n'], ['authFailures', 'Auth failures', 'n'],
    ['lastSeen', 'Last seen', 't'],
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
      default: { const td = U.textEl('td', kind === 'm' ? 'mono' : null, v); return td; }
    }
  }

  // Only the columns some row actually has: an older build's stats have fewer counters.
  function fill(table, columns, items, keyField) {
    const present = columns.filter(([f]) => items.some((x) => x[f] !== undefined));
    const head = U.clear(table.tHead.rows[0]);
    for (const [, h] of present) head.appendChild(el('th', null, h));
    const tbody = U.clear(table.tBodies[0]);
    for (const x of items) {
      const tr = el('tr');
      if (keyField) tr.setAttribute('data-key', U.plain(x[keyField], 300));
      if (x.quiet) tr.classList.add('quiet');
      for (const [f, , kind] of present) tr.appendChild(cell(kind, x[f]));
      tbody.appendChild(tr);
    }
  }

  function sources(stats) {
    if (Array.isArray(stats.sources)) {
      const after = stats.ingest && stats.ingest.quietAfterSeconds;
      $('sources-note').textContent = `A source is the host name (or address) events arrive under. Quiet: nothing for ${after ? Math.round(after / 60) + ' min' : 'a while'}.`;
      return stats.sources;
    }
    $('sources-note').textContent = 'Events stored per source. This build keeps no per-source last-seen time or quiet flag.';
    return Object.entries(stats.bySource || {}).map(([source, received]) => ({ source, received }));
  }

  async function load() {
    const stats = await S.get('/api/v1/stats');
    fill($('listeners-table'), LISTENER_COLUMNS, stats.listeners || [], 'name');
    const filter = $('sources-filter').value.trim().toLowerCase();
    const all = sources(stats).sort((a, b) => (b.received || 0) - (a.received || 0));
    fill($('sources-table'), SOURCE_COLUMNS, filter ? all.filter((s) => String(s.source).toLowerCase().includes(filter)) : all, 'source');
    const sinks = U.clear($('sinks-table').tBodies[0]);
    for (const s of stats.sinks || []) sinks.appendChild(U.row([s.name, U.num(s.applied), U.num(s.lagBytes), U.num(s.failures)]));
    U.clearError();
  }

  $('sources-filter').addEventListener('input', () => load().catch((e) => U.showError(e.message)));
  S.ready.then(() => U.every(5000, load)).catch((e) => U.showError(e.message));
})();
