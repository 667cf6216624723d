// Redoubt console — dashboard: ingestion rate (from deltas of /api/v1/stats), events by source, parse
// errors, storage and retention, open alerts by severity, sources gone quiet, listeners.
// Parts the running build does not report are said to be missing, never drawn from made-up data.
// SECURITY: source names and listener names are untrusted (a sender picks its host name); see ui.js.
'use strict';

(() => {
  const S = window.RedoubtSession;
  const U = window.RedoubtUI;
  const { el } = U;
  const $ = (id) => document.getElementById(id);

  const POLL_MS = 5000;
  const SAMPLES = 60;
  const SEVERITIES = ['critical', 'high', 'medium', 'low', 'informational'];
  const rates = [];
  let previous = null; // { events, at }

  function sourcesOf(stats) {
    // Newer builds list sources with counters and a quiet flag; older ones only count by source.
    if (Array.isArray(stats.sources)) {
      return stats.sources.map((s) => ({ name: s.source, received: s.received ?? s.parsed ?? 0, quiet: !!s.quiet, lastSeen: s.lastSeen, parseErrors: s.parseErrors }));
    }
    if (stats.bySource && typeof stats.bySource === 'object') {
      return Object.entries(stats.bySource).map(([name, n]) => ({ name, received: n, quiet: undefined }));
    }
    return [];
  }

  function drawRate(stats) {
    const now = performance.now();
    if (previous) {
      const dt = (now - previous.at) / 1000;
      const rate = dt > 0 ? Math.max(0, (stats.events - previous.events) / dt) : 0;
      rates.push(rate);
      if (rates.length > SAMPLES) rates.shift();
      $('dash-eps').textContent = rate < 10 ? rate.toFixed(1) : U.num(Math.round(rate));
    } else {
      $('dash-eps').textContent = '…';
    }
    previous = { events: stats.events, at: now };
    U.clear($('dash-eps-chart')).appendChild(U.sparkline(rates));
  }

  function drawStore(stats) {
    $('dash-events').textContent = U.num(stats.events);
    const transports = stats.byTransport ? Object.entries(stats.byTransport).map(([k, v]) => `${k} ${U.num(v)}`).join(' · ') : '';
    $('dash-transports').textContent = transports;
    $('dash-parse-errors').textContent = U.num(stats.parseErrors);
    const pct = stats.events > 0 ? ((100 * stats.parseErrors) / stats.events).toFixed(2) : '0';
    $('dash-parse-rate').textContent = `${pct} % of stored events (kept raw); truncated ${U.num(stats.truncated)}, invalid UTF-8 ${U.num(stats.invalidUtf8)}`;
    $('dash-storage').textContent = U.bytes(stats.storeBytes);
    const st = stats.storage;
    if (st && typeof st === 'object') {
      const parts = [`state ${st.state}`];
      if (typeof st.freeBytes === 'number') parts.push(`${U.bytes(st.freeBytes)} free on the disk`);
      if (st.reason) parts.push(st.reason);
      $('dash-storage-note').textContent = parts.join(' · ');
    } else {
      $('dash-storage-note').textContent = stats.storeFailure ? `store failed: ${stats.storeFailure}` : 'event log on disk';
    }
    const r = stats.retention;
    if (r && typeof r === 'object') {
      $('dash-retention').textContent = r.oldestEventTime ? U.ago(r.oldestReceivedAt || r.oldestEventTime).replace(' ago', '') : 'no events';
      const limits = [];
      if (r.maxAgeDays) limits.push(`keeps ${r.maxAgeDays} days`);
      if (r.maxBytes) limits.push(`at most ${U.bytes(r.maxBytes)}`);
      if (!limits.length) limits.push('no retention limit set');
      $('dash-retention-note').textContent = `oldest event received ${U.time(r.oldestReceivedAt || r.oldestEventTime)}; ${limits.join(', ')}`;
    } else {
      $('dash-retention').textContent = 'not reported';
      $('dash-retention-note').textContent = 'this build does not report retention in /api/v1/stats';
    }
  }

  function drawSources(stats) {
    const sources = sourcesOf(stats).sort((a, b) => b.received - a.received);
    const box = U.clear($('dash-sources'));
    const top = sources.slice(0, 15);
    if (!top.length) { $('dash-sources-note').textContent = 'No events yet.'; return; }
    box.appendChild(U.barChart(top.map((s) => ({ label: s.name, value: s.received, cls: s.quiet ? 'quiet' : '', note: s.quiet ? 'quiet' : '' })), { labelWidth: 280, maxLabel: 30 }));
    $('dash-sources-note').textContent = sources.length > top.length ? `top ${top.length} of ${sources.length} sources` : `${sources.length} source${sources.length === 1 ? '' : 's'}`;

    const list = U.clear($('dash-quiet'));
    if (sources.length && sources[0].quiet === undefined) {
      $('dash-quiet-note').textContent = 'This build does not flag quiet sources (no per-source last-seen in /api/v1/stats).';
      return;
    }
    const quiet = sources.filter((s) => s.quiet);
    for (const s of quiet) {
      const li = el('li', 'quiet-source');
      li.appendChild(U.textEl('span', 'mono', s.name));
      li.appendChild(document.createTextNode(` — last event ${U.ago(s.lastSeen)}`));
      list.appendChild(li);
    }
    const after = stats.ingest && stats.ingest.quietAfterSeconds ? ` (nothing for ${U.duration(stats.ingest.quietAfterSeconds)})` : '';
    $('dash-quiet-note').textContent = quiet.length ? `${quiet.length} quiet${after}` : `None: every source sent recently${after}.`;
  }

  function drawListeners(stats) {
    const tbody = U.clear($('dash-listeners').tBodies[0]);
    for (const l of stats.listeners || []) {
      const tr = U.row([U.text(l.name), l.transport, [l.bind, 'mono'], [l.status, `state-${U.token(l.status)}`], U.num(l.received), U.num(l.dropped),
        l.lastSeen ? U.ago(l.lastSeen) : 'never']);
      tr.setAttribute('data-key', U.plain(`${l.transport} ${l.bind}`, 200)); // names repeat (syslog on UDP and TCP)
      tbody.appendChild(tr);
    }
  }

  // Open alerts by severity: the alert list answers "at least this grave" with a total, so five
  // one-row queries give exact counts.
  async function drawAlerts() {
    const box = $('dash-alerts');
    const open = 'state=new,acknowledged,in_progress';
    const atLeast = [];
    for (let level = 5; level >= 1; level--) {
      const r = await S.get(`/api/v1/alerts?${open}&severity=${level}&limit=1`);
      atLeast.push(r.total);
    }
    const counts = SEVERITIES.map((name, i) => ({ label: name, value: atLeast[i] - (i > 0 ? atLeast[i - 1] : 0), cls: `sev-${name}` }));
    U.clear(box).appendChild(U.barChart(counts, { labelWidth: 120, width: 480 }));
    box.setAttribute('data-total', String(atLeast[4]));
    $('dash-alerts-note').textContent = `${U.num(atLeast[4])} open (new, acknowledged or in progress)`;
  }

  async function poll() {
    const stats = await S.get('/api/v1/stats');
    drawRate(stats);
    drawStore(stats);
    drawSources(stats);
    drawListeners(stats);
    if (U.can('alerts:read')) await drawAlerts();
    U.clearError();
  }

  S.ready.then(() => U.every(POLL_MS, poll)).catch((e) => U.showError(e.message));
})();
