// Redoubt console — graph explorer: find an entity, expand its neighbours, its attack paths to crown
// jewels and its blast radius, drawn as SVG (graphview.js). graph.html?node=Kind:key opens one node.
// SECURITY: node keys, properties and edge evidence are untrusted: text only (ui.js).
'use strict';

(() => {
  const S = window.RedoubtSession;
  const U = window.RedoubtUI;
  const G = window.RedoubtGraph;
  const { el } = U;
  const $ = (id) => document.getElementById(id);
  const picture = $('graph-picture');

  let m = G.model();
  let selected = null; // node id

  const q = (params) => new URLSearchParams(params).toString();

  function redraw() {
    G.draw(picture, m, { selected, onSelect: select });
  }

  function setMode(text) { $('graph-mode').textContent = text; }

  function enableActions(on) {
    for (const id of ['graph-expand', 'graph-paths', 'graph-blast']) $(id).disabled = !on;
  }

  // ---------- search ----------
  $('graph-search').addEventListener('submit', async (e) => {
    e.preventDefault();
    const list = U.clear($('graph-results'));
    const kind = $('graph-kind').value;
    const text = $('graph-q').value.trim();
    if (!kind && !text) { U.showError('Give a kind or part of a key.'); return; }
    try {
      const params = { limit: '50' };
      if (kind) params.kind = kind;
      if (text) params.q = text;
      const r = await S.get(`/api/v1/graph/nodes?${q(params)}`);
      if (!r.nodes.length) list.appendChild(el('li', 'hint', 'No node matches.'));
      for (const n of r.nodes) {
        const li = el('li');
        const b = U.button('', 'link graph-result');
        b.setAttribute('data-node-id', String(n.id));
        b.appendChild(el('span', 'kind', n.kind));
        b.appendChild(document.createTextNode(' '));
        b.appendChild(U.text(n.key));
        b.addEventListener('click', () => start(n));
        li.appendChild(b);
        list.appendChild(li);
      }
      if (r.more) list.appendChild(el('li', 'hint', 'More match: narrow the search.'));
      U.clearError();
    } catch (x) { U.showError(x.message); }
  });

  // ---------- exploring ----------
  async function neighbourhood(node) {
    const r = await S.get(`/api/v1/graph/neighbourhood?${q({ node: G.ref(node), hops: '1', limit: '200' })}`);
    for (const x of r.nodes) G.addNode(m, x.node);
    for (const e of r.edges) G.addEdge(m, e);
    return r;
  }

  async function start(node) {
    m = G.model();
    G.addNode(m, node);
    m.focus = node.id;
    try {
      const r = await neighbourhood(node);
      setMode(`Neighbours of ${G.ref(node)}: ${r.nodes.length} nodes${r.truncated ? ' (cut by the query budget)' : ''}`);
      U.clearError();
    } catch (x) { U.showError(x.message); }
    U.clear($('graph-path-list'));
    await select(node.id);
  }

  async function select(id) {
    selected = id;
    enableActions(true);
    redraw();
    const side = U.clear($('graph-node'));
    side.appendChild(el('h2', null, 'Node'));
    try {
      const r = await S.get(`/api/v1/graph/nodes/${encodeURIComponent(String(id))}`);
      G.addNode(m, r.node);
      const n = r.node;
      side.appendChild(U.textEl('p', 'mono node-ref', G.ref(n)));
      const pairs = [['Kind', n.kind], ['Key', U.text(n.key)], ['Tags', (n.tags || []).join(', ')], ['Criticality', n.criticality],
        ['CVSS', n.cvss], ['Known exploited', n.knownExploited ? 'yes' : null], ['Alerted', n.alerted ? 'yes' : null],
        ['First seen', U.time(n.firstSeen)], ['Last seen', U.time(n.lastSeen)],
        ['Edges out / in', `${r.outDegree} / ${r.inDegree}`], ['Exploit cost', r.exploitCost]];
      for (const [k, v] of Object.entries(n.properties || {})) pairs.push([U.plain(k, 60), U.text(v)]);
      side.appendChild(U.dl(pairs));
      side.appendChild(edgeList('Out', r.out, 'to'));
      side.appendChild(edgeList('In', r.in, 'from'));
    } catch (x) {
      side.appendChild(el('p', 'error', x.message));
    }
  }

  // Edges with their evidence: each event id opens the event that put the edge there.
  function edgeList(title, edges, end) {
    const box = el('div', 'edge-list');
    box.appendChild(el('h3', null, `${title} (${edges.length}${edges.length === 100 ? '+' : ''})`));
    const ul = el('ul', 'plain-list');
    for (const e of edges.slice(0, 30)) {
      const li = el('li');
      li.appendChild(el('span', 'mono', e.type));
      li.appendChild(document.createTextNode(' '));
      li.appendChild(U.textEl('span', null, e[end]));
      li.appendChild(document.createTextNode(` ×${e.count} `));
      for (const id of ((e.evidence && e.evidence.events) || []).slice(0, 3)) {
        if (!Number.isInteger(id)) continue;
        const a = el('a', 'small', `event ${id}`);
        a.href = `/events.html?id=${id}`;
        li.appendChild(a);
        li.appendChild(document.createTextNode(' '));
      }
      for (const imp of ((e.evidence && e.evidence.imports) || []).slice(0, 2)) {
        li.appendChild(U.textEl('span', 'small', `import ${imp.id}${imp.source ? ` (${imp.source})` : ''} `));
      }
      ul.appendChild(li);
    }
    box.appendChild(ul);
    return box;
  }

  const selectedNode = () => m.nodes.get(selected);

  $('graph-expand').addEventListener('click', async () => {
    const n = selectedNode();
    if (!n) return;
    try {
      m.layer = null;
      const r = await neighbourhood(n);
      setMode(`Expanded ${G.ref(n)}: ${r.nodes.length} neighbours; ${m.nodes.size} nodes drawn`);
      redraw();
      U.clearError();
    } catch (x) { U.showError(x.message); }
  });

  $('graph-paths').addEventListener('click', async () => {
    const n = selectedNode();
    if (!n) return;
    const list = U.clear($('graph-path-list'));
    try {
      const r = await S.get(`/api/v1/graph/attack-paths?${q({ source: G.ref(n), k: '5' })}`);
      const next = G.model();
      next.layer = new Map();
      next.focus = n.id;
      G.addNode(next, n);
      next.layer.set(n.id, 0);
      for (const p of r.paths) {
        p.nodes.forEach((x, i) => {
          G.addNode(next, x);
          next.hotNodes.add(x.id);
          next.layer.set(x.id, Math.min(next.layer.has(x.id) ? next.layer.get(x.id) : i, i));
        });
        for (const e of p.edges) { G.addEdge(next, e); next.hotEdges.add(e.id); }
        const li = el('li', 'path');
        li.appendChild(el('span', 'cost', `cost ${p.cost}, ${p.hops} hops: `));
        li.appendChild(U.text(G.pathText(p)));
        list.appendChild(li);
      }
      if (!r.paths.length) {
        list.appendChild(el('li', 'hint', r.targetCount === 0 ? 'The graph has no crown jewels (tag a node crown_jewel).' : 'No attack path from here reaches a crown jewel.'));
        setMode(`No path from ${G.ref(n)} to a crown jewel`);
        return;
      }
      m = next;
      setMode(`${r.paths.length} cheapest attack path${r.paths.length === 1 ? '' : 's'} from ${G.ref(n)} to ${r.targetCount} crown jewel${r.targetCount === 1 ? '' : 's'}${r.truncated ? ' (cut by the query budget)' : ''}`);
      redraw();
      U.clearError();
    } catch (x) { U.showError(x.message); }
  });

  $('graph-blast').addEventListener('click', async () => {
    const n = selectedNode();
    if (!n) return;
    U.clear($('graph-path-list'));
    try {
      const r = await S.get(`/api/v1/graph/blast-radius?${q({ node: G.ref(n), depth: '6', limit: '150' })}`);
      const next = G.model();
      next.layer = new Map([[n.id, 0]]);
      next.focus = n.id;
      G.addNode(next, n);
      for (const x of r.reached) {
        G.addNode(next, x.node);
        next.layer.set(x.node.id, x.hops);
        next.cost.set(x.node.id, x.cost);
      }
      for (const e of r.edges) { G.addEdge(next, e); next.hotEdges.add(e.id); }
      m = next;
      const kinds = Object.entries(r.byKind || {}).map(([k, c]) => `${c} ${k}`).join(', ');
      setMode(`Blast radius of ${G.ref(n)}: ${r.reachedCount} reachable within ${r.depth} steps${kinds ? ` (${kinds})` : ''}${r.truncated ? ', cut by the query budget' : ''}`);
      redraw();
      U.clearError();
    } catch (x) { U.showError(x.message); }
  });

  $('graph-clear').addEventListener('click', () => {
    m = G.model();
    selected = null;
    enableActions(false);
    U.clear(picture);
    U.clear($('graph-path-list'));
    setMode('');
  });

  S.ready.then(async () => {
    const st = await U.getOptional('/api/v1/graph/stats');
    if (st === null) {
      $('graph-stats').textContent = 'This build has no graph API.';
      $('graph-search').hidden = true;
      return;
    }
    $('graph-stats').textContent = `${U.num(st.nodes)} nodes, ${U.num(st.edges)} edges in the graph.`;
    const wanted = new URLSearchParams(location.search).get('node');
    if (wanted && wanted.includes(':')) {
      const i = wanted.indexOf(':');
      try {
        const r = await S.get(`/api/v1/graph/nodes?${q({ kind: wanted.slice(0, i), key: wanted.slice(i + 1) })}`);
        await start(r.node);
      } catch (x) { U.showError(x.message); }
    }
  }).catch((e) => U.showError(e.message));
})();
