// Redoubt admin console — events page.
//
// SECURITY: log content is attacker-controlled. Every string that comes from
// the API reaches the DOM ONLY via textContent / createTextNode / setAttribute
// of non-executable attributes (data-*, class built from a sanitised token).
// Never use innerHTML, outerHTML, insertAdjacentHTML, document.write or build
// HTML strings here. The page also runs under a strict CSP (no inline script,
// no inline styles), so styling is done with classes only.
'use strict';

(() => {
  const SEVERITIES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];
  const FACILITIES = ['kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news',
    'uucp', 'cron', 'authpriv', 'ftp', 'ntp', 'audit', 'alert', 'clock',
    'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'];
  const LIVE_INTERVAL_MS = 5000;
  const COLUMNS = 8;

  const $ = (id) => document.getElementById(id);
  const form = $('search');
  const tbody = $('events').tBodies[0];
  const moreBtn = $('more');
  const liveBox = $('live');
  const errorEl = $('error');
  const statusEl = $('status');
  const emptyEl = $('empty');

  let currentParams = null;   // URLSearchParams of the last submitted search (without cursor)
  let nextCursor = null;
  let loadedCount = 0;
  let requestSeq = 0;         // guards against out-of-order responses
  let busy = false;
  let expandedId = null;      // id of the event whose detail panel is open
  let liveTimer = null;

  // ---------- small DOM helpers (text only) ----------
  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function showError(msg) {
    errorEl.textContent = msg;
    errorEl.hidden = false;
  }

  function clearError() {
    errorEl.textContent = '';
    errorEl.hidden = true;
  }

  // ---------- formatting ----------
  function fmtTime(s) {
    if (s === null || s === undefined || s === '') return '—';
    const d = new Date(s);
    return Number.isNaN(d.getTime()) ? String(s) : d.toISOString();
  }

  function sevName(n) {
    return Number.isInteger(n) && n >= 0 && n < SEVERITIES.length ? SEVERITIES[n] : (n === null || n === undefined ? '—' : String(n));
  }

  function facName(n) {
    return Number.isInteger(n) && n >= 0 && n < FACILITIES.length ? `${FACILITIES[n]} (${n})` : (n === null || n === undefined ? '—' : String(n));
  }

  function fmtBytes(n) {
    if (typeof n !== 'number' || !Number.isFinite(n)) return '–';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    let v = n;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
  }

  function fmtNum(n) {
    return typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString('en-US') : '–';
  }

  // Turn an untrusted token into something safe to use as a CSS class suffix.
  function classToken(s) {
    return String(s).toLowerCase().replace(/[^a-z0-9-]/g, '_').slice(0, 40);
  }

  // datetime-local value ("YYYY-MM-DDTHH:MM[:SS[.sss]]") interpreted as UTC -> ISO 8601.
  function localInputToIso(v) {
    if (!v) return null;
    const d = new Date(v + 'Z');
    return Number.isNaN(d.getTime()) ? null : d.toISOString();
  }

  // ---------- API ----------
  async function apiGet(path) {
    let res;
    try {
      res = await fetch(path, { headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' });
    } catch (e) {
      throw new Error(`Network error: ${e && e.message ? e.message : e}`);
    }
    if (res.status === 401) {
      location.assign('/login.html'); // session over: sign in again
      throw new Error('Signed out');
    }
    const text = await res.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch (_) { body = null; }
    if (!res.ok) {
      const reason = body && typeof body.message === 'string' ? body.message
        : body && typeof body.error === 'string' ? body.error : (text || res.statusText);
      throw new Error(`HTTP ${res.status}: ${reason}`);
    }
    if (body === null || typeof body !== 'object') throw new Error(`Invalid JSON from ${path}`);
    return body;
  }

  function buildParams() {
    const p = new URLSearchParams();
    const from = localInputToIso($('f-from').value);
    const to = localInputToIso($('f-to').value);
    if ($('f-from').value && !from) throw new Error('Invalid "from" date');
    if ($('f-to').value && !to) throw new Error('Invalid "to" date');
    if (from) p.set('from', from);
    if (to) p.set('to', to);
    const host = $('f-host').value.trim();
    const app = $('f-app').value.trim();
    const sev = $('f-severity').value;
    const q = $('f-q').value;
    const limit = $('f-limit').value.trim();
    if (host) p.set('host', host);
    if (app) p.set('app', app);
    if (sev !== '') p.set('severity', sev);
    if (q) p.set('q', q);
    if (limit) p.set('limit', limit);
    return p;
  }

  // ---------- stats ----------
  async function loadStats() {
    try {
      const s = await apiGet('/api/v1/stats');
      $('stat-events').textContent = fmtNum(s.events);
      $('stat-parse-errors').textContent = fmtNum(s.parseErrors);
      $('stat-truncated').textContent = fmtNum(s.truncated);
      $('stat-store-bytes').textContent = fmtBytes(s.storeBytes);
      const r = s.retention && typeof s.retention === 'object' ? s.retention : null;
      const horizon = $('stat-horizon');
      if (r && r.oldestEventId !== null && r.oldestEventId !== undefined) {
        horizon.textContent = fmtTime(r.oldestReceivedAt);
        const limits = [];
        if (typeof r.maxAgeDays === 'number') limits.push(`max age ${r.maxAgeDays} d`);
        if (typeof r.maxBytes === 'number') limits.push(`max ${fmtBytes(r.maxBytes)}`);
        horizon.setAttribute('title', `Oldest event still stored: id ${r.oldestEventId}, event time ${fmtTime(r.oldestEventTime)}; ` +
          (limits.length ? `retention ${limits.join(', ')}` : 'no retention limit set'));
      } else {
        horizon.textContent = '–';
      }
      const st = s.storage && typeof s.storage === 'object' ? s.storage : null;
      const state = $('stat-store-state');
      state.textContent = st ? String(st.state) : '–';
      state.className = st && st.state !== 'ok' ? 'store-bad' : '';
      if (st && st.state !== 'ok' && typeof st.reason === 'string') showError(`Store not accepting writes: ${st.reason}`);
      const bt = $('stat-by-transport');
      bt.textContent = '';
      const entries = s.byTransport && typeof s.byTransport === 'object' ? Object.entries(s.byTransport) : [];
      if (entries.length === 0) bt.textContent = '–';
      for (const [name, count] of entries) {
        const chip = el('span', 'chip');
        chip.setAttribute('data-transport', String(name));
        chip.appendChild(el('span', 'chip-name', name));
        chip.appendChild(document.createTextNode(' '));
        chip.appendChild(el('span', 'chip-count', fmtNum(count)));
        bt.appendChild(chip);
      }
    } catch (e) {
      showError(`Stats: ${e.message}`);
    }
  }

  // ---------- events table ----------
  function makeRow(ev) {
    const tr = el('tr', 'event');
    tr.setAttribute('data-id', String(ev.id));
    tr.tabIndex = 0;
    tr.setAttribute('aria-expanded', 'false');
    const sev = ev.severity;
    if (Number.isInteger(sev) && sev >= 0 && sev <= 7) tr.classList.add(`sev-${sev}`);

    tr.appendChild(el('td', 'c-time', fmtTime(ev.time)));
    tr.appendChild(el('td', 'c-time', fmtTime(ev.receivedAt)));
    tr.appendChild(el('td', 'c-host', ev.host ?? '—'));
    tr.appendChild(el('td', 'c-app', ev.app ?? '—'));
    tr.appendChild(el('td', 'c-pid', ev.procId ?? ''));
    tr.appendChild(el('td', 'c-sev', sevName(sev)));
    tr.appendChild(el('td', 'c-transport', ev.transport ?? ''));

    const msgTd = el('td', 'c-msg');
    const flags = Array.isArray(ev.flags) ? ev.flags : [];
    for (const f of flags) {
      const badge = el('span', `flag flag-${classToken(f)}`, f);
      badge.setAttribute('title', `flag: ${String(f)}`);
      msgTd.appendChild(badge);
      msgTd.appendChild(document.createTextNode(' '));
    }
    msgTd.appendChild(el('span', 'msg', ev.message ?? ''));
    tr.appendChild(msgTd);

    tr._event = ev; // keep the parsed object for the detail panel (never serialised to HTML)
    return tr;
  }

  function fieldList(ev) {
    const dl = el('dl', 'fields');
    const add = (k, v) => {
      dl.appendChild(el('dt', null, k));
      dl.appendChild(el('dd', null, v === null || v === undefined || v === '' ? '—' : v));
    };
    add('id', ev.id);
    add('time', fmtTime(ev.time));
    add('receivedAt', fmtTime(ev.receivedAt));
    add('transport', ev.transport);
    add('source', ev.source);
    add('sender', ev.sender);
    add('format', ev.format);
    add('host', ev.host);
    add('app', ev.app);
    add('procId', ev.procId);
    add('msgId', ev.msgId);
    add('facility', facName(ev.facility));
    add('severity', ev.severity === null || ev.severity === undefined ? null : `${sevName(ev.severity)} (${ev.severity})`);
    add('flags', Array.isArray(ev.flags) && ev.flags.length ? ev.flags.join(', ') : null);
    add('parseError', ev.parseError);
    return dl;
  }

  function preBlock(title, text, id) {
    const box = el('div', 'block');
    box.appendChild(el('h3', null, title));
    const pre = el('pre', 'raw', text);
    if (id) pre.id = id;
    box.appendChild(pre);
    return box;
  }

  function buildDetail(ev) {
    const panel = el('div', 'detail');
    panel.id = 'detail';

    const left = el('section', 'detail-fields');
    left.appendChild(el('h3', null, 'Parsed fields'));
    left.appendChild(fieldList(ev));

    const right = el('section', 'detail-raw');
    const raw = ev.rawText !== null && ev.rawText !== undefined ? ev.rawText : (ev.message ?? '');
    right.appendChild(preBlock(ev.rawText !== null && ev.rawText !== undefined ? 'Raw text' : 'Raw text (message)', raw, 'detail-raw'));
    if (ev.structuredData !== null && ev.structuredData !== undefined && ev.structuredData !== '') {
      const sd = typeof ev.structuredData === 'string' ? ev.structuredData : JSON.stringify(ev.structuredData, null, 2);
      right.appendChild(preBlock('Structured data', sd, 'detail-sd'));
    }
    if (ev.json !== null && ev.json !== undefined) {
      let pretty;
      try { pretty = JSON.stringify(ev.json, null, 2); } catch (_) { pretty = String(ev.json); }
      right.appendChild(preBlock('Agent event (json)', pretty, 'detail-json'));
    }

    panel.appendChild(left);
    panel.appendChild(right);
    return panel;
  }

  function collapseDetail() {
    const open = tbody.querySelector('tr.detail-row');
    if (open) open.remove();
    for (const r of tbody.querySelectorAll('tr.event.selected')) {
      r.classList.remove('selected');
      r.setAttribute('aria-expanded', 'false');
    }
    expandedId = null;
  }

  function expandRow(tr) {
    collapseDetail();
    const detailTr = el('tr', 'detail-row');
    const td = el('td');
    td.colSpan = COLUMNS;
    td.appendChild(buildDetail(tr._event));
    detailTr.appendChild(td);
    tr.after(detailTr);
    tr.classList.add('selected');
    tr.setAttribute('aria-expanded', 'true');
    expandedId = tr.getAttribute('data-id');
  }

  function toggleRow(tr) {
    if (tr.classList.contains('selected')) collapseDetail();
    else expandRow(tr);
  }

  tbody.addEventListener('click', (e) => {
    if (e.target.closest('tr.detail-row')) return; // allow selecting text in the panel
    const tr = e.target.closest('tr.event');
    if (tr && tbody.contains(tr)) toggleRow(tr);
  });

  tbody.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' && e.key !== ' ') return;
    const tr = e.target.closest('tr.event');
    if (tr && e.target === tr) { e.preventDefault(); toggleRow(tr); }
  });

  function updateFooter() {
    moreBtn.hidden = !nextCursor;
    emptyEl.hidden = loadedCount !== 0;
    statusEl.textContent = `Showing ${loadedCount} event${loadedCount === 1 ? '' : 's'}${nextCursor ? ' (more available)' : ''}.`;
  }

  // append=false: replace table with the first page; append=true: add next page via cursor.
  async function loadEvents(append) {
    if (!currentParams) return;
    const p = new URLSearchParams(currentParams);
    if (append) {
      if (!nextCursor) return;
      p.set('cursor', nextCursor);
    }
    const seq = ++requestSeq;
    busy = true;
    moreBtn.disabled = true;
    try {
      const body = await apiGet(`/api/v1/events?${p.toString()}`);
      if (seq !== requestSeq) return; // a newer request superseded this one
      const events = Array.isArray(body.events) ? body.events : [];
      const keepOpen = expandedId;
      if (!append) {
        collapseDetail();
        tbody.textContent = '';
        loadedCount = 0;
      }
      const frag = document.createDocumentFragment();
      for (const ev of events) frag.appendChild(makeRow(ev));
      tbody.appendChild(frag);
      loadedCount += events.length;
      nextCursor = typeof body.nextCursor === 'string' && body.nextCursor !== '' ? body.nextCursor : null;
      if (!append && keepOpen !== null) {
        const again = Array.from(tbody.querySelectorAll('tr.event')).find((r) => r.getAttribute('data-id') === keepOpen);
        if (again) expandRow(again);
      }
      clearError();
      updateFooter();
    } catch (e) {
      if (seq === requestSeq) showError(e.message);
    } finally {
      if (seq === requestSeq) {
        busy = false;
        moreBtn.disabled = false;
      }
    }
  }

  // ---------- wiring ----------
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    try {
      currentParams = buildParams();
    } catch (err) {
      showError(err.message);
      return;
    }
    nextCursor = null;
    expandedId = null;
    loadEvents(false);
    loadStats();
  });

  moreBtn.addEventListener('click', () => loadEvents(true));

  function liveTick() {
    if (busy || document.hidden) return;
    loadEvents(false);
    loadStats();
  }

  liveBox.addEventListener('change', () => {
    if (liveTimer !== null) { clearInterval(liveTimer); liveTimer = null; }
    if (liveBox.checked) {
      liveTimer = setInterval(liveTick, LIVE_INTERVAL_MS);
      liveTick();
    }
  });

  // Initial load: recent events with default filters.
  try { currentParams = buildParams(); } catch (err) { currentParams = new URLSearchParams(); showError(err.message); }
  loadEvents(false);
  loadStats();
  if (liveBox.checked) liveBox.dispatchEvent(new Event('change'));
})();
