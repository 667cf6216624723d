// Redoubt console — events page: search with a time range and filters, a live tail, and the detail of
// one event (parsed beside raw). events.html?id=N opens one event on its own.
// SECURITY: log content is attacker-controlled; see ui.js. Rows and details come from eventview.js.
'use strict';

(() => {
  const S = window.RedoubtSession;
  const U = window.RedoubtUI;
  const E = window.RedoubtEvents;
  const { el } = U;
  const $ = (id) => document.getElementById(id);

  const TAIL_INTERVAL_MS = 2000;
  const TAIL_PAGE = 200;
  const TAIL_MAX_PAGES = 5;       // per poll: beyond TAIL_PAGE × this, the gap is shown, not fetched
  const MAX_ROWS = 1000;          // the tail drops the oldest rows past this

  const form = $('search');
  const tbody = $('events').tBodies[0];
  const moreBtn = $('more');
  const tailBtn = $('tail');
  const statusEl = $('status');
  const rows = E.expandable(tbody);

  let currentParams = null;   // URLSearchParams of the last search (without cursor)
  let nextCursor = null;
  let requestSeq = 0;         // a newer request supersedes an older one
  let tailStop = null;
  let tailNote = '';

  function localInputToIso(v) {
    if (!v) return null;
    const d = new Date(v + 'Z');
    return Number.isNaN(d.getTime()) ? null : d.toISOString();
  }

  function buildParams() {
    const p = new URLSearchParams();
    let from = localInputToIso($('f-from').value);
    const to = localInputToIso($('f-to').value);
    if ($('f-from').value && !from) throw new Error('Invalid "from" date');
    if ($('f-to').value && !to) throw new Error('Invalid "to" date');
    const range = parseInt($('f-range').value, 10);
    if (!from && Number.isFinite(range)) from = new Date(Date.now() - range * 1000).toISOString();
    if (from) p.set('from', from);
    if (to) p.set('to', to);
    for (const [id, name] of [['f-host', 'host'], ['f-app', 'app']]) {
      const v = $(id).value.trim();
      if (v) p.set(name, v);
    }
    if ($('f-severity').value !== '') p.set('severity', $('f-severity').value);
    if ($('f-q').value) p.set('q', $('f-q').value);
    const limit = $('f-limit').value.trim();
    if (limit) p.set('limit', limit);
    return p;
  }

  // ---------- stats ----------
  async function loadStats() {
    const s = await S.get('/api/v1/stats');
    $('stat-events').textContent = U.num(s.events);
    $('stat-parse-errors').textContent = U.num(s.parseErrors);
    $('stat-truncated').textContent = U.num(s.truncated);
    $('stat-store-bytes').textContent = U.bytes(s.storeBytes);
    const bt = U.clear($('stat-by-transport'));
    const entries = s.byTransport && typeof s.byTransport === 'object' ? Object.entries(s.byTransport) : [];
    if (entries.length === 0) bt.textContent = '–';
    for (const [name, count] of entries) {
      const chip = el('span', 'chip');
      chip.setAttribute('data-transport', String(name));
      chip.appendChild(el('span', 'chip-name', name));
      chip.appendChild(document.createTextNode(' '));
      chip.appendChild(el('span', 'chip-count', U.num(count)));
      bt.appendChild(chip);
    }
  }

  // ---------- table ----------
  const shownRows = () => tbody.querySelectorAll('tr.event');
  const topId = () => { const r = tbody.querySelector('tr.event'); return r ? Number(r.getAttribute('data-id')) : -1; };

  function updateFooter() {
    const n = shownRows().length;
    moreBtn.hidden = !nextCursor;
    $('empty').hidden = n !== 0;
    const tail = tailStop ? ` Live tail: following${tailNote ? ` (${tailNote})` : ''}.` : '';
    statusEl.textContent = `Showing ${n} event${n === 1 ? '' : 's'}${nextCursor ? ' (more available)' : ''}.${tail}`;
  }

  async function loadEvents(append) {
    if (!currentParams) return;
    const p = new URLSearchParams(currentParams);
    if (append) {
      if (!nextCursor) return;
      p.set('cursor', nextCursor);
    }
    const seq = ++requestSeq;
    moreBtn.disabled = true;
    try {
      const body = await S.get(`/api/v1/events?${p}`);
      if (seq !== requestSeq) return;
      if (!append) { rows.collapse(); U.clear(tbody); }
      const frag = document.createDocumentFragment();
      for (const ev of body.events || []) frag.appendChild(E.row(ev));
      tbody.appendChild(frag);
      nextCursor = typeof body.nextCursor === 'string' && body.nextCursor !== '' ? body.nextCursor : null;
      U.clearError();
      updateFooter();
    } catch (e) {
      if (seq === requestSeq) U.showError(e.message);
    } finally {
      if (seq === requestSeq) moreBtn.disabled = false;
    }
  }

  // ---------- live tail ----------
  // Newest first, as the API pages: fetch the newest page with the search's filters and follow the
  // cursor back until the newest event already shown, so a burst between polls is not skipped.
  async function tailTick() {
    const since = topId();
    const fresh = [];
    let cursor = null;
    let reached = false;
    // An empty table starts from the newest page only.
    const pages = since < 0 ? 1 : TAIL_MAX_PAGES;
    for (let page = 0; page < pages && !reached; page++) {
      const p = new URLSearchParams(currentParams || '');
      p.set('limit', String(TAIL_PAGE));
      if (cursor) p.set('cursor', cursor);
      const body = await S.get(`/api/v1/events?${p}`);
      for (const ev of body.events || []) {
        if (ev.id <= since) { reached = true; break; }
        fresh.push(ev);
      }
      cursor = typeof body.nextCursor === 'string' && body.nextCursor !== '' ? body.nextCursor : null;
      if (!cursor || since < 0) reached = true;
    }
    if (!tailStop) return; // paused while fetching
    tailNote = reached ? (fresh.length ? `${fresh.length} new` : '') : `more than ${fresh.length} new since the last poll: the older of them are not shown, search to see them`;
    if (fresh.length) {
      const frag = document.createDocumentFragment();
      for (const ev of fresh) frag.appendChild(E.row(ev));
      tbody.insertBefore(frag, tbody.firstChild);
      const all = shownRows();
      if (all.length > MAX_ROWS) {
        for (let i = all.length - 1; i >= MAX_ROWS; i--) {
          const next = all[i].nextElementSibling;
          if (next && next.classList.contains('detail-row')) next.remove();
          all[i].remove();
        }
        nextCursor = shownRows()[MAX_ROWS - 1].getAttribute('data-id');
      }
    }
    U.clearError();
    updateFooter();
  }

  function setTail(on) {
    if (tailStop) { tailStop(); tailStop = null; }
    tailBtn.setAttribute('aria-pressed', on ? 'true' : 'false');
    tailBtn.textContent = on ? 'Pause tail' : 'Live tail';
    tailNote = '';
    if (on) tailStop = U.every(TAIL_INTERVAL_MS, async () => { await tailTick(); await loadStats(); });
    updateFooter();
  }

  tailBtn.addEventListener('click', () => setTail(!tailStop));

  // ---------- one event ----------
  async function showOne(id) {
    $('single').hidden = false;
    $('single-id').textContent = id;
    form.hidden = true;
    $('events').hidden = true;
    try {
      const ev = await S.get(`/api/v1/events/${encodeURIComponent(id)}`);
      $('single-detail').appendChild(E.detail(ev));
    } catch (e) {
      U.showError(e.message);
    }
  }

  // ---------- wiring ----------
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    try { currentParams = buildParams(); } catch (err) { U.showError(err.message); return; }
    nextCursor = null;
    loadEvents(false);
    loadStats().catch((x) => U.showError(`Stats: ${x.message}`));
  });

  moreBtn.addEventListener('click', () => loadEvents(true));

  S.ready.then(() => {
    const id = new URLSearchParams(location.search).get('id');
    if (id !== null && /^\d+$/.test(id)) { showOne(id); return; }
    for (const name of ['host', 'app', 'q']) {
      const v = new URLSearchParams(location.search).get(name);
      if (v !== null) $(`f-${name}`).value = v;
    }
    try { currentParams = buildParams(); } catch (err) { currentParams = new URLSearchParams(); U.showError(err.message); }
    loadEvents(false);
    loadStats().catch((x) => U.showError(`Stats: ${x.message}`));
  }).catch((e) => U.showError(e.message));
})();
