// Redoubt console — draws part of the security graph as SVG, built element by element (no library).
// Two layouts: layered (columns by hop, for paths and blast radius) and a small force layout
// (Fruchterman–Reingold, deterministic start) for a neighbourhood being explored.
// SECURITY: node keys come from logs and imports (a host name can be "<script>…"). They appear only
// as SVG text nodes and <title> text, never as markup or attribute values that could execute.
'use strict';

window.RedoubtGraph = (() => {
  const U = window.RedoubtUI;
  const { svg } = U;
  const NODE_R = 14;
  const LABEL_MAX = 32;

  // A growing picture: nodes and edges by API id, with flags for what to emphasise.
  function model() {
    return { nodes: new Map(), edges: new Map(), layer: null, hotEdges: new Set(), hotNodes: new Set(), focus: null, cost: new Map() };
  }

  function addNode(m, n) {
    if (!n || n.id === undefined) return;
    const had = m.nodes.get(n.id);
    m.nodes.set(n.id, had ? Object.assign(had, n) : Object.assign({}, n));
  }

  function addEdge(m, e) {
    if (!e || e.id === undefined || e.fromId === undefined || e.toId === undefined) return;
    m.edges.set(e.id, e);
  }

  function ref(n) { return n.ref || `${n.kind}:${n.key}`; }

  // ---------- layouts ----------
  function layered(m) {
    const cols = new Map();
    for (const id of m.nodes.keys()) {
      const l = m.layer.has(id) ? m.layer.get(id) : 0;
      if (!cols.has(l)) cols.set(l, []);
      cols.get(l).push(id);
    }
    const order = [...cols.keys()].sort((a, b) => a - b);
    const pos = new Map();
    const colW = 260;
    const rowH = 62;
    // One barycentre pass: a node sits near the nodes of the previous column it is joined to.
    const neighbours = new Map();
    for (const e of m.edges.values()) {
      if (!neighbours.has(e.fromId)) neighbours.set(e.fromId, []);
      if (!neighbours.has(e.toId)) neighbours.set(e.toId, []);
      neighbours.get(e.fromId).push(e.toId);
      neighbours.get(e.toId).push(e.fromId);
    }
    order.forEach((l, ci) => {
      const ids = cols.get(l);
      const bary = (id) => {
        const ys = (neighbours.get(id) || []).filter((p) => pos.has(p)).map((p) => pos.get(p).y);
        return ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : 0;
      };
      if (ci > 0) ids.sort((a, b) => bary(a) - bary(b) || a - b);
      else ids.sort((a, b) => a - b);
      ids.forEach((id, i) => pos.set(id, { x: 60 + ci * colW, y: 40 + i * rowH }));
    });
    return pos;
  }

  function force(m) {
    const ids = [...m.nodes.keys()];
    const n = ids.length;
    const pos = new Map();
    const size = Math.max(300, Math.sqrt(n) * 130);
    // Deterministic start: a circle in id order, the focus in the middle.
    ids.forEach((id, i) => {
      const a = (2 * Math.PI * i) / Math.max(1, n);
      pos.set(id, id === m.focus ? { x: size / 2, y: size / 2 } : { x: size / 2 + (size / 3) * Math.cos(a), y: size / 2 + (size / 3) * Math.sin(a) });
    });
    if (n < 2) return pos;
    const k = Math.sqrt((size * size) / n) * 0.8;
    let t = size / 8;
    const iterations = n > 150 ? 120 : 250;
    for (let it = 0; it < iterations; it++) {
      const disp = new Map(ids.map((id) => [id, { x: 0, y: 0 }]));
      for (let i = 0; i < n; i++) {
        const a = pos.get(ids[i]);
        for (let j = i + 1; j < n; j++) {
          const b = pos.get(ids[j]);
          let dx = a.x - b.x;
          let dy = a.y - b.y;
          let d = Math.hypot(dx, dy);
          if (d < 0.01) { dx = 0.1 * ((i % 3) - 1) + 0.05; dy = 0.1; d = Math.hypot(dx, dy); }
          const f = (k * k) / d;
          const da = disp.get(ids[i]);
          const db = disp.get(ids[j]);
          da.x += (dx / d) * f; da.y += (dy / d) * f;
          db.x -= (dx / d) * f; db.y -= (dy / d) * f;
        }
      }
      for (const e of m.edges.values()) {
        const a = pos.get(e.fromId);
        const b = pos.get(e.toId);
        if (!a || !b || a === b) continue;
        const dx = a.x - b.x;
        const dy = a.y - b.y;
        const d = Math.max(0.01, Math.hypot(dx, dy));
        const f = (d * d) / k;
        const da = disp.get(e.fromId);
        const db = disp.get(e.toId);
        da.x -= (dx / d) * f; da.y -= (dy / d) * f;
        db.x += (dx / d) * f; db.y += (dy / d) * f;
      }
      for (const id of ids) {
        if (id === m.focus) continue; // the node being explored stays in the middle
        const p = pos.get(id);
        const d = disp.get(id);
        const len = Math.max(0.01, Math.hypot(d.x, d.y));
        p.x += (d.x / len) * Math.min(len, t);
        p.y += (d.y / len) * Math.min(len, t);
      }
      t = Math.max(1, t * 0.97);
    }
    return pos;
  }

  // ---------- drawing ----------
  function nodeClasses(n, m, selected) {
    const c = ['node', `kind-${U.token(n.kind || 'unknown')}`];
    const tags = Array.isArray(n.tags) ? n.tags : [];
    if (tags.includes('crown_jewel')) c.push('crown');
    if (tags.includes('internet_facing')) c.push('internet');
    if (tags.includes('compromised')) c.push('compromised');
    if (n.alerted) c.push('alerted');
    if (m.hotNodes.has(n.id)) c.push('hot');
    if (n.id === m.focus) c.push('focus');
    if (n.id === selected) c.push('selected');
    return c.join(' ');
  }

  function draw(container, m, opts) {
    const o = Object.assign({ selected: null, onSelect: null, edgeLabels: true }, opts || {});
    U.clear(container);
    if (m.nodes.size === 0) return null;
    const pos = m.layer ? layered(m) : force(m);
    let minX = Infinity; let minY = Infinity; let maxX = -Infinity; let maxY = -Infinity;
    for (const p of pos.values()) { minX = Math.min(minX, p.x); minY = Math.min(minY, p.y); maxX = Math.max(maxX, p.x); maxY = Math.max(maxY, p.y); }
    const pad = 80;
    const w = maxX - minX + 2 * pad;
    const h = maxY - minY + 2 * pad;
    const root = svg('svg', { class: 'graph', viewBox: `${minX - pad} ${minY - pad} ${w} ${h}`, width: Math.min(1400, Math.max(420, w)), role: 'img' });
    const title = svg('title');
    title.textContent = `${m.nodes.size} nodes, ${m.edges.size} edges`;
    root.appendChild(title);
    const defs = svg('defs');
    for (const [id, cls] of [['arrow', 'arrow'], ['arrow-hot', 'arrow hot']]) {
      const marker = svg('marker', { id, viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse', class: cls });
      marker.appendChild(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z' }));
      defs.appendChild(marker);
    }
    root.appendChild(defs);

    const edgeLayer = svg('g', { class: 'edges' });
    const labelsOn = o.edgeLabels && m.edges.size <= 60;
    for (const e of m.edges.values()) {
      const a = pos.get(e.fromId);
      const b = pos.get(e.toId);
      if (!a || !b) continue;
      const dx = b.x - a.x;
      const dy = b.y - a.y;
      const d = Math.max(0.01, Math.hypot(dx, dy));
      const hot = m.hotEdges.has(e.id);
      const g = svg('g', { class: `edge type-${U.token(e.type || '')}${hot ? ' hot' : ''}`, 'data-edge-id': e.id });
      const t = svg('title');
      t.textContent = `${U.plain(e.from, 200)} —${U.plain(e.type, 40)}→ ${U.plain(e.to, 200)}${e.count ? ` (seen ${e.count}×)` : ''}`;
      g.appendChild(t);
      g.appendChild(svg('line', {
        x1: (a.x + (dx / d) * NODE_R).toFixed(1), y1: (a.y + (dy / d) * NODE_R).toFixed(1),
        x2: (b.x - (dx / d) * (NODE_R + 2)).toFixed(1), y2: (b.y - (dy / d) * (NODE_R + 2)).toFixed(1),
        'marker-end': hot ? 'url(#arrow-hot)' : 'url(#arrow)',
      }));
      if (labelsOn) {
        const label = svg('text', { x: ((a.x + b.x) / 2).toFixed(1), y: ((a.y + b.y) / 2 - 4).toFixed(1), 'text-anchor': 'middle', class: 'edge-label' });
        label.textContent = U.plain(e.type, 24);
        g.appendChild(label);
      }
      edgeLayer.appendChild(g);
    }
    root.appendChild(edgeLayer);

    const nodeLayer = svg('g', { class: 'nodes' });
    for (const n of m.nodes.values()) {
      const p = pos.get(n.id);
      const g = svg('g', { class: nodeClasses(n, m, o.selected), 'data-node-id': n.id, transform: `translate(${p.x.toFixed(1)} ${p.y.toFixed(1)})`, tabindex: 0 });
      const t = svg('title');
      t.textContent = `${U.plain(ref(n), 500)}${m.cost.has(n.id) ? ` — attack cost ${m.cost.get(n.id)}` : ''}`;
      g.appendChild(t);
      g.appendChild(svg('circle', { r: NODE_R, class: 'node-shape' }));
      const kind = svg('text', { y: 4, 'text-anchor': 'middle', class: 'node-kind' });
      kind.textContent = String(n.kind || '?').slice(0, 2);
      g.appendChild(kind);
      const label = svg('text', { y: NODE_R + 14, 'text-anchor': 'middle', class: 'node-label' });
      label.textContent = U.plain(n.key, LABEL_MAX);
      g.appendChild(label);
      if (m.cost.has(n.id)) {
        const c = svg('text', { y: -NODE_R - 5, 'text-anchor': 'middle', class: 'node-cost' });
        c.textContent = String(m.cost.get(n.id));
        g.appendChild(c);
      }
      nodeLayer.appendChild(g);
    }
    root.appendChild(nodeLayer);
    if (o.onSelect) {
      const pick = (ev) => {
        const g = ev.target.closest('g.node');
        if (g) o.onSelect(Number(g.getAttribute('data-node-id')));
      };
      nodeLayer.addEventListener('click', pick);
      nodeLayer.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') pick(ev); });
    }
    container.appendChild(root);
    return root;
  }

  // A path as text: Kind:key —TYPE→ Kind:key … (for lists beside the picture).
  function pathText(p) {
    const parts = [];
    (p.nodes || []).forEach((n, i) => {
      if (i > 0) {
        const e = p.edges[i - 1];
        parts.push(e ? ` —${e.type}${e.traversed === 'reverse' ? ' (reverse)' : ''}→ ` : ' → ');
      }
      parts.push(ref(n));
    });
    return parts.join('');
  }

  return { model, addNode, addEdge, draw, ref, pathText };
})();
