// Redoubt console — alerts: the queue with filters, the detail of one alert (rule, matched fields,
// triage, history, evidence events) and its graph context drawn as a picture: the alert, the
// entities it raised, their blast radius and their cheapest attack paths to crown jewels.
// SECURITY: rule titles, entity values, matched values, comments and assignees are untrusted: text
// only (ui.js). Rule references are shown as text, never as links (a rule file can say javascript:).
'use strict';

(() => {
  const S = window.RedoubtSession;
  const U = window.RedoubtUI;
  const E = window.RedoubtEvents;
  const G = window.RedoubtGraph;
  const { el } = U;
  const $ = (id) => document.getElementById(id);

  const PAGE = 100;
  let items = new Map();
  let nextCursor = null;
  let current = null; // the alert shown
  const evidenceRows = E.expandable($('alert-evidence').tBodies[0]);

  const SEV_NAMES = { 5: 'critical', 4: 'high', 3: 'medium', 2: 'low', 1: 'informational' };

  function params(cursor) {
    const p = new URLSearchParams();
    if ($('af-state').value) p.set('state', $('af-state').value);
    if ($('af-severity').value) p.set('severity', $('af-severity').value);
    p.set('sort', $('af-sort').value);
    if ($('af-entity').value.trim()) p.set('entity', $('af-entity').value.trim());
    p.set('limit', String(PAGE));
    if (cursor) p.set('cursor', cursor);
    return p;
  }

  function entityText(entities) {
    return Object.entries(entities || {}).map(([k, v]) => `${k}=${v}`).join('  ');
  }

  function alertRow(a) {
    const tr = el('tr', 'alert-row');
    tr.setAttribute('data-alert-id', U.plain(a.id, 200));
    tr.tabIndex = 0;
    tr.appendChild(el('td', `sev sev-${U.token(a.severity)}`, a.severity));
    tr.appendChild(U.textEl('td', 'alert-rule', a.rule && a.rule.title));
    tr.appendChild(U.textEl('td', 'mono', entityText(a.entities)));
    tr.appendChild(el('td', `state-${U.token(a.state || 'none')}`, a.state ? a.state.replace('_', ' ') + (a.resolution ? ` (${a.resolution.replace('_', ' ')})` : '') : '—'));
    tr.appendChild(U.textEl('td', null, a.assignee || ''));
    tr.appendChild(el('td', 'num', U.num(a.count)));
    const seen = el('td', null, U.ago(a.lastSeen));
    seen.setAttribute('title', U.time(a.lastSeen));
    tr.appendChild(seen);
    tr.appendChild(el('td', 'num', a.risk === undefined ? '—' : String(a.risk)));
    return tr;
  }

  async function loadQueue(append) {
    const tbody = $('alerts-table').tBodies[0];
    const r = await S.get(`/api/v1/alerts?${params(append ? nextCursor : null)}`);
    const list = r.alerts;
    const total = r.total;
    nextCursor = r.nextCursor || null;
    if (!append) { U.clear(tbody); items = new Map(); }
    for (const a of list) {
      items.set(a.id, a);
      const tr = alertRow(a);
      if (current && current.id === a.id) tr.classList.add('selected');
      tbody.appendChild(tr);
    }
    $('alerts-more').hidden = !nextCursor;
    $('alerts-status').textContent = `${U.num(total)} alert${total === 1 ? '' : 's'} match; showing ${items.size}.`;
    U.clearError();
  }

  // ---------- detail ----------
  function facts(a) {
    const rule = a.rule || {};
    const pairs = [
      ['Severity', a.severity], ['State', String(a.state || '').replace('_', ' ')],
      ['Resolution', a.resolution], ['Assignee', U.text(a.assignee || '')], ['Comment', U.text(a.comment || '')],
      ['Rule', U.text(`${rule.title || ''} (${rule.id || ''})`)], ['Level', rule.level], ['Kind', a.kind],
      ['Entities', U.text(entityText(a.entities))], ['Count', U.num(a.count)], ['Events', U.num(a.eventCount ?? (a.evidence || []).length)],
      ['First seen', U.time(a.firstSeen)], ['Last seen', U.time(a.lastSeen)], ['Risk', a.riskNow ?? a.risk],
      ['Log source', a.logSource], ['ATT&CK', rule.attack ? U.text([...(rule.attack.tactics || []), ...(rule.attack.techniques || [])].join(', ')) : null],
      ['Tags', U.text((rule.tags || []).join(', '))], ['Author', U.text(rule.author || '')],
      ['References', U.text((rule.references || []).join('\n'))],
    ];
    if (rule.license) pairs.push(['Rule licence', U.text([rule.license.name, rule.license.notice, rule.license.link].filter(Boolean).join(' — '))]);
    if (a.ioc) pairs.push(['Indicator', U.text(`${a.ioc.type} ${a.ioc.indicator} from list ${a.ioc.list} (${a.ioc.field} = ${a.ioc.observed})`)]);
    const shown = (v) => v !== undefined && v !== null && (v instanceof Node ? v.textContent.trim() !== '' : String(v).trim() !== '');
    return U.dl(pairs.filter(([, v]) => shown(v)));
  }

  function history(a) {
    const ul = U.clear($('alert-history'));
    for (const h of a.history || []) {
      const li = el('li', `history-${U.token(h.field)}`);
      li.appendChild(el('span', 'mono', U.time(h.at)));
      li.appendChild(document.createTextNode(' '));
      li.appendChild(U.textEl('strong', null, h.who));
      li.appendChild(document.createTextNode(` ${h.field}: `));
      li.appendChild(U.text(h.field === 'comment' ? (h.to || '') : `${h.from || '—'} → ${h.to || '—'}`));
      ul.appendChild(li);
    }
    if (!ul.firstChild) ul.appendChild(el('li', 'hint', 'No triage yet.'));
  }

  function triageControls(a) {
    const canTriage = U.can('alerts:write');
    $('triage').hidden = !canTriage;
    $('triage-note').hidden = canTriage;
    $('triage-note').textContent = 'Your role reads alerts; triage needs an analyst or admin.';
    if (!canTriage) return;
    const closed = a.state === 'closed';
    $('triage-ack').disabled = a.state === 'acknowledged' || closed;
    $('triage-progress').disabled = a.state === 'in_progress' || closed;
    $('triage-close').hidden = closed;
    $('triage-resolution').disabled = closed;
    $('triage-reopen').hidden = !closed;
    $('triage-assignee').value = a.assignee || '';
    $('triage-status').textContent = '';
  }

  function evidence(a) {
    const tbody = U.clear($('alert-evidence').tBodies[0]);
    evidenceRows.collapse();
    // The detail carries the first evidence events (events dropped by retention are missing).
    const events = Array.isArray(a.events) ? a.events : [];
    for (const ev of events) tbody.appendChild(E.row(ev));
    const total = a.eventCount ?? (a.evidence || []).length;
    $('alert-evidence-count').textContent = `${events.length} shown of ${U.num(total)}`;
  }

  // The alert's graph nodes: from its Alert node's RAISED edges, else from its entities as the
  // enrichment names them (host names are lower-cased in the graph).
  async function entityNodes(a, m) {
    const r = await U.getOptional(`/api/v1/graph/neighbourhood?${new URLSearchParams({ node: `Alert:${a.id}`, hops: '1', direction: 'out' })}`).catch(() => null);
    if (r && Array.isArray(r.nodes)) {
      for (const x of r.nodes) { G.addNode(m, x.node); m.layer.set(x.node.id, x.depth); }
      for (const e of r.edges) { G.addEdge(m, e); }
      return r.nodes.filter((x) => x.depth === 1).map((x) => x.node);
    }
    const found = [];
    for (const [entity, value] of Object.entries(a.entities || {})) {
      const kind = entity === 'host' ? 'Host' : entity === 'user' ? 'User' : /_ip$/.test(entity) ? 'IpAddress' : null;
      if (!kind || !value) continue;
      const key = kind === 'Host' ? String(value).toLowerCase() : String(value);
      const n = await U.getOptional(`/api/v1/graph/nodes?${new URLSearchParams({ kind, key })}`).catch(() => null);
      if (n && n.node) { G.addNode(m, n.node); m.layer.set(n.node.id, 1); found.push(n.node); }
    }
    return found;
  }

  async function graphContext(a) {
    const box = U.clear($('alert-graph'));
    const note = $('alert-graph-note');
    const paths = U.clear($('alert-paths'));
    const ctx = a.context;
    note.textContent = ctx ? `Blast radius ${U.num(ctx.blastRadius)} nodes; ${ctx.crownJewelPath ? `a crown jewel ${ctx.crownJewelHops} hop${ctx.crownJewelHops === 1 ? '' : 's'} away` : 'no attack path to a crown jewel'}; criticality ${ctx.criticality}.` : '';
    const m = G.model();
    m.layer = new Map();
    const starts = await entityNodes(a, m);
    if (!starts.length) { note.textContent += ' None of its entities is in the graph.'; G.draw(box, m); return; }
    const refs = starts.map(G.ref);
    const q = new URLSearchParams();
    for (const r of refs) q.append('node', r);
    q.set('depth', '3');
    q.set('limit', '40');
    const blast = await S.get(`/api/v1/graph/blast-radius?${q}`);
    for (const x of blast.reached) {
      G.addNode(m, x.node);
      if (!m.layer.has(x.node.id)) m.layer.set(x.node.id, 1 + x.hops);
      m.cost.set(x.node.id, x.cost);
    }
    for (const e of blast.edges) G.addEdge(m, e);
    const pq = new URLSearchParams();
    for (const r of refs) pq.append('source', r);
    pq.set('k', '3');
    const attack = await S.get(`/api/v1/graph/attack-paths?${pq}`);
    for (const p of attack.paths) {
      p.nodes.forEach((n, i) => {
        G.addNode(m, n);
        m.hotNodes.add(n.id);
        const layer = 1 + i;
        if (!m.layer.has(n.id) || m.layer.get(n.id) > layer) m.layer.set(n.id, layer);
      });
      for (const e of p.edges) { G.addEdge(m, e); m.hotEdges.add(e.id); }
      const li = el('li', 'path');
      li.appendChild(el('span', 'cost', `cost ${p.cost}, ${p.hops} hops: `));
      li.appendChild(U.text(G.pathText(p)));
      paths.appendChild(li);
    }
    G.draw(box, m, {
      onSelect: (id) => {
        const n = m.nodes.get(id);
        if (n) location.assign(`/graph.html?${new URLSearchParams({ node: G.ref(n) })}`);
      },
    });
    note.textContent += ` Drawn: the alert, its entities, what they reach within 3 steps (${blast.reachedCount}), and ${attack.paths.length ? `the ${attack.paths.length} cheapest attack paths to crown jewels (highlighted)` : 'no attack path to a crown jewel'}. Click a node to explore it.`;
  }

  async function show(id) {
    if (!items.has(id)) return;
    const r = await S.get(`/api/v1/alerts/${encodeURIComponent(id)}`);
    const a = Object.assign({}, r.alert, { events: r.events });
    current = a;
    for (const tr of $('alerts-table').tBodies[0].rows) tr.classList.toggle('selected', tr.getAttribute('data-alert-id') === U.plain(id, 200));
    $('alert-detail').hidden = false;
    $('alert-detail').setAttribute('data-alert-id', U.plain(a.id, 200));
    U.clear($('alert-title')).appendChild(U.text(a.rule && a.rule.title));
    U.clear($('alert-facts')).appendChild(facts(a));
    const matched = U.clear($('alert-matched').tBodies[0]);
    for (const x of a.matched || []) matched.appendChild(U.row([[x.field, 'mono'], U.text(x.value)]));
    triageControls(a);
    history(a);
    evidence(a);
    try { await graphContext(a); } catch (x) { $('alert-graph-note').textContent = `Graph context: ${x.message}`; }
  }

  // ---------- triage ----------
  async function triage(change) {
    if (!current) return;
    const status = $('triage-status');
    try {
      await S.post(`/api/v1/alerts/${encodeURIComponent(current.id)}/triage`, change);
      await loadQueue(false);
      if (!items.has(current.id)) items.set(current.id, current); // filtered out of the queue now: keep showing it
      await show(current.id);
      status.textContent = 'Saved.';
    } catch (x) {
      status.textContent = x.message;
    }
  }

  $('triage-ack').addEventListener('click', () => triage({ state: 'acknowledged' }));
  $('triage-progress').addEventListener('click', () => triage({ state: 'in_progress' }));
  $('triage-assign').addEventListener('click', () => triage({ assignee: $('triage-assignee').value.trim() }));
  $('triage-close').addEventListener('click', () => triage({ state: 'closed', resolution: $('triage-resolution').value }));
  $('triage-reopen').addEventListener('click', () => triage({ state: 'acknowledged' }));
  $('triage-comment-submit').addEventListener('click', async () => {
    const c = $('triage-comment').value.trim();
    if (!c) { $('triage-status').textContent = 'Write a comment first.'; return; }
    await triage({ comment: c });
    $('triage-comment').value = '';
  });

  // ---------- wiring ----------
  const tbody = $('alerts-table').tBodies[0];
  const pick = (tr) => show(tr.getAttribute('data-alert-id')).catch((x) => U.showError(x.message));
  tbody.addEventListener('click', (e) => { const tr = e.target.closest('tr.alert-row'); if (tr) pick(tr); });
  tbody.addEventListener('keydown', (e) => { const tr = e.target.closest('tr.alert-row'); if (tr && e.key === 'Enter') pick(tr); });

  $('alert-filters').addEventListener('submit', (e) => { e.preventDefault(); loadQueue(false).catch((x) => U.showError(x.message)); });
  $('alerts-more').addEventListener('click', () => loadQueue(true).catch((x) => U.showError(x.message)));

  S.ready.then(() => loadQueue(false)).catch((e) => U.showError(e.message));
})();
