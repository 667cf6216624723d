// Redoubt console — what every signed-in page shares: the navigation, DOM helpers that only ever
// write text, formatting, and the safe display of untrusted strings and bytes.
//
// SECURITY: log content, host names, field names, rule titles and graph keys are attacker-controlled.
// They reach the DOM ONLY through textContent / createTextNode, or setAttribute on attributes that
// never execute (data-*, title, aria-*, and numeric SVG geometry). No innerHTML, outerHTML,
// insertAdjacentHTML, document.write, no HTML strings, no href built from data, no style strings
// (the strict CSP also forbids inline script and style).
'use strict';

window.RedoubtUI = (() => {
  const S = window.RedoubtSession;
  const SVG_NS = 'http://www.w3.org/2000/svg';

  // The pages, in navigation order. `id` is the nav link's element id (stable for browser tests).
  const PAGES = [
    { id: 'nav-dashboard', href: '/', label: 'Dashboard' },
    { id: 'nav-events', href: '/events.html', label: 'Events' },
    { id: 'nav-alerts', href: '/alerts.html', label: 'Alerts' },
    { id: 'nav-graph', href: '/graph.html', label: 'Graph' },
    { id: 'nav-sources', href: '/sources.html', label: 'Sources' },
    { id: 'nav-rules', href: '/rules.html', label: 'Rules' },
    { id: 'nav-imports', href: '/imports.html', label: 'Imports' },
    { id: 'nav-access', href: '/access.html', label: 'Users and tokens' },
    { id: 'nav-system', href: '/system.html', label: 'System' },
  ];

  // ---------- DOM helpers (text only) ----------
  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function svg(tag, attrs) {
    const e = document.createElementNS(SVG_NS, tag);
    if (attrs) for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    return e;
  }

  function button(text, className, id) {
    const b = el('button', className, text);
    b.type = 'button';
    if (id) b.id = id;
    return b;
  }

  function clear(node) { node.textContent = ''; return node; }

  // A table row of cells; each cell is text, a Node, or [text, className].
  function row(cells, className) {
    const tr = el('tr', className);
    for (const c of cells) {
      if (c instanceof Node) { const td = el('td'); td.appendChild(c); tr.appendChild(td); }
      else if (Array.isArray(c)) tr.appendChild(el('td', c[1], c[0]));
      else tr.appendChild(el('td', null, c));
    }
    return tr;
  }

  // A definition list from [label, value] pairs; a value may be a Node.
  function dl(pairs, className) {
    const d = el('dl', className || 'fields');
    for (const [k, v] of pairs) {
      d.appendChild(el('dt', null, k));
      const dd = el('dd');
      if (v instanceof Node) dd.appendChild(v);
      else dd.textContent = v === null || v === undefined || v === '' ? '—' : String(v);
      d.appendChild(dd);
    }
    return d;
  }

  // Only for element ids and class suffixes: never reflects arbitrary text.
  function token(s) { return String(s).toLowerCase().replace(/[^a-z0-9-]/g, '_').slice(0, 60); }

  // ---------- untrusted text ----------
  // Characters that change how the text around them reads without being seen: C0/C1 controls
  // (but tab and newline), bidirectional overrides and isolates (the "RTL trick" that makes
  // 'exe.txt' look like 'txt.exe'), zero-width characters and the BOM. Shown as visible markers.
  const INVISIBLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]/g;

  function codePoint(ch) { return 'U+' + ch.codePointAt(0).toString(16).toUpperCase().padStart(4, '0'); }

  // A fragment showing `s` literally, with invisible characters as marked code points.
  function text(s) {
    const str = s === null || s === undefined ? '' : String(s);
    const frag = document.createDocumentFragment();
    let last = 0;
    INVISIBLE.lastIndex = 0;
    for (let m = INVISIBLE.exec(str); m !== null; m = INVISIBLE.exec(str)) {
      if (m.index > last) frag.appendChild(document.createTextNode(str.slice(last, m.index)));
      const mark = el('span', 'ctl', codePoint(m[0]));
      mark.setAttribute('title', 'invisible or control character');
      frag.appendChild(mark);
      last = m.index + m[0].length;
    }
    if (last < str.length) frag.appendChild(document.createTextNode(str.slice(last)));
    return frag;
  }

  // An element holding untrusted text (see text()).
  function textEl(tag, className, s) {
    const e = el(tag, className);
    e.appendChild(text(s));
    return e;
  }

  // The same, as one plain string (for SVG labels and titles, which cannot hold markers).
  function plain(s, max) {
    let str = s === null || s === undefined ? '' : String(s);
    str = str.replace(INVISIBLE, (ch) => `[${codePoint(ch)}]`);
    if (max && str.length > max) str = str.slice(0, max - 1) + '…';
    return str;
  }

  // ---------- raw bytes ----------
  function base64Bytes(b64) {
    const bin = atob(b64);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  // Valid UTF-8 decodes as text; anything else (including overlong forms such as C0 BC for '<')
  // is shown byte by byte: printable ASCII as itself, every other byte as \xNN.
  function rawView(bytes) {
    try {
      const s = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      return { utf8: true, node: text(s) };
    } catch (_) {
      const frag = document.createDocumentFragment();
      let run = '';
      const flush = () => { if (run) { frag.appendChild(document.createTextNode(run)); run = ''; } };
      for (const b of bytes) {
        if ((b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x09) run += String.fromCharCode(b);
        else { flush(); frag.appendChild(el('span', 'ctl', '\\x' + b.toString(16).padStart(2, '0'))); }
      }
      flush();
      return { utf8: false, node: frag };
    }
  }

  function hexDump(bytes, maxBytes) {
    const n = Math.min(bytes.length, maxBytes || 65536);
    const lines = [];
    for (let off = 0; off < n; off += 16) {
      const chunk = bytes.subarray(off, Math.min(off + 16, n));
      const hex = Array.from(chunk, (b) => b.toString(16).padStart(2, '0')).join(' ');
      const ascii = Array.from(chunk, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
      lines.push(`${off.toString(16).padStart(8, '0')}  ${hex.padEnd(47, ' ')}  ${ascii}`);
    }
    if (bytes.length > n) lines.push(`… ${bytes.length - n} more bytes`);
    return lines.join('\n');
  }

  // ---------- formatting ----------
  function time(s) {
    if (s === null || s === undefined || s === '') return '—';
    const d = new Date(s);
    return Number.isNaN(d.getTime()) ? String(s) : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  }

  // A length of time in seconds, in the largest unit that keeps it readable ("20 s", "5 min", "1 h").
  function duration(sec) {
    const n = Number(sec);
    if (!Number.isFinite(n) || n < 0) return '—';
    if (n < 120) return `${Math.round(n)} s`;
    if (n < 7200) return `${Math.round(n / 60)} min`;
    if (n < 172800) return `${Math.round(n / 3600)} h`;
    return `${Math.round(n / 86400)} days`;
  }

  function ago(s) {
    if (!s) return '—';
    const d = new Date(s).getTime();
    if (Number.isNaN(d)) return String(s);
    const sec = Math.round((Date.now() - d) / 1000);
    if (sec < 0) return 'in the future';
    if (sec < 90) return `${sec} s ago`;
    if (sec < 5400) return `${Math.round(sec / 60)} min ago`;
    if (sec < 172800) return `${Math.round(sec / 3600)} h ago`;
    return `${Math.round(sec / 86400)} days ago`;
  }

  function bytes(n) {
    if (typeof n !== 'number' || !Number.isFinite(n)) return '–';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    let v = n;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
  }

  function num(n) { return typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString('en-US') : '–'; }

  // ---------- page frame ----------
  const errorEl = () => document.getElementById('error');

  function showError(msg) {
    const e = errorEl();
    if (!e) return;
    e.textContent = String(msg);
    e.hidden = false;
  }

  function clearError() {
    const e = errorEl();
    if (e) { e.textContent = ''; e.hidden = true; }
  }

  // Builds the navigation into <nav id="nav">, marks the current page, and fills in who is signed in.
  function buildNav() {
    const nav = document.getElementById('nav');
    if (!nav) return;
    nav.className = 'nav';
    const here = location.pathname === '/index.html' ? '/' : location.pathname;
    for (const p of PAGES) {
      const a = el('a', null, p.label);
      a.href = p.href;
      a.id = p.id;
      if (p.href === here) a.setAttribute('aria-current', 'page');
      nav.appendChild(a);
    }
    const user = el('span', 'nav-user');
    user.id = 'nav-user';
    nav.appendChild(user);
    const out = button('Sign out', null, 'nav-signout');
    out.addEventListener('click', async () => {
      try { await S.post('/api/v1/auth/logout'); } catch (_) { /* signed out either way */ }
      S.toSignIn();
    });
    nav.appendChild(out);
    S.ready.then((s) => {
      user.textContent = `${s.name} (${s.role || s.kind})`;
      document.body.setAttribute('data-role', token(s.role || s.kind || 'unknown'));
    }).catch((e) => showError(e.message));
  }

  // True when the caller holds the scope (admin holds every scope). The API enforces anyway;
  // this only keeps buttons a viewer cannot use off the page.
  function can(scope) {
    const s = S.current();
    return !!s && Array.isArray(s.scopes) && (s.scopes.includes('admin') || s.scopes.includes(scope));
  }

  // GET that answers null for 404 (an endpoint this build does not have, or a thing that is gone).
  async function getOptional(path) {
    try { return await S.get(path); } catch (e) { if (e.status === 404) return null; throw e; }
  }

  // Polls fn every `ms` while the page is visible; returns a stop function.
  function every(ms, fn) {
    let stopped = false;
    let timer = null;
    const tick = async () => {
      if (stopped) return;
      if (!document.hidden) { try { await fn(); } catch (e) { showError(e.message); } }
      if (!stopped) timer = setTimeout(tick, ms);
    };
    tick();
    return () => { stopped = true; if (timer) clearTimeout(timer); };
  }

  // ---------- charts (SVG built node by node; labels are text nodes) ----------
  // Horizontal bars: items [{label, value, cls, note}]; label and note are untrusted text.
  function barChart(items, opts) {
    const o = Object.assign({ width: 640, bar: 18, gap: 6, labelWidth: 220, valueWidth: 90, maxLabel: 34 }, opts || {});
    const height = Math.max(1, items.length) * (o.bar + o.gap);
    const chart = svg('svg', { class: 'chart', viewBox: `0 0 ${o.width} ${height}`, width: o.width, height, role: 'img' });
    const max = Math.max(1, ...items.map((i) => i.value || 0));
    const span = o.width - o.labelWidth - o.valueWidth;
    items.forEach((it, i) => {
      const y = i * (o.bar + o.gap);
      const g = svg('g', { class: `bar ${it.cls || ''}`.trim(), 'data-label': plain(it.label, 200) });
      const title = svg('title');
      title.textContent = `${plain(it.label, 500)}: ${num(it.value)}${it.note ? ` (${plain(it.note, 200)})` : ''}`;
      g.appendChild(title);
      const label = svg('text', { x: o.labelWidth - 8, y: y + o.bar * 0.72, 'text-anchor': 'end', class: 'bar-label' });
      label.textContent = plain(it.label, o.maxLabel);
      g.appendChild(label);
      const w = Math.max(it.value > 0 ? 2 : 0, Math.round((span * (it.value || 0)) / max));
      g.appendChild(svg('rect', { x: o.labelWidth, y, width: w, height: o.bar, rx: 2, class: 'bar-rect' }));
      const value = svg('text', { x: o.labelWidth + w + 6, y: y + o.bar * 0.72, class: 'bar-value' });
      value.textContent = num(it.value) + (it.note ? `  ${plain(it.note, 30)}` : '');
      g.appendChild(value);
      chart.appendChild(g);
    });
    return chart;
  }

  // A line over the last values (numbers), scaled to its own maximum.
  function sparkline(values, opts) {
    const o = Object.assign({ width: 240, height: 48 }, opts || {});
    const chart = svg('svg', { class: 'sparkline', viewBox: `0 0 ${o.width} ${o.height}`, width: o.width, height: o.height, role: 'img' });
    if (values.length < 2) return chart;
    const max = Math.max(1, ...values);
    const step = o.width / (values.length - 1);
    const pts = values.map((v, i) => `${(i * step).toFixed(1)},${(o.height - 2 - ((o.height - 4) * v) / max).toFixed(1)}`);
    chart.appendChild(svg('polyline', { points: pts.join(' '), class: 'spark-line' }));
    const title = svg('title');
    title.textContent = `last ${values.length} samples, max ${max.toFixed(1)}/s`;
    chart.appendChild(title);
    return chart;
  }

  buildNav();

  return {
    PAGES, el, svg, button, clear, row, dl, token, text, textEl, plain, base64Bytes, rawView, hexDump,
    time, ago, duration, bytes, num, showError, clearError, can, getOptional, every, barChart, sparkline,
  };
})();
