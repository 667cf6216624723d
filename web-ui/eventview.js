// Redoubt console — one event as a table row and as a detail panel (parsed fields beside the raw
// bytes). Used by the events page and the alert detail (evidence events).
// SECURITY: every value is untrusted; it goes through RedoubtUI.text / textContent only.
'use strict';

window.RedoubtEvents = (() => {
  const U = window.RedoubtUI;
  const { el } = U;
  const SEVERITIES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];
  const FACILITIES = ['kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news',
    'uucp', 'cron', 'authpriv', 'ftp', 'ntp', 'audit', 'alert', 'clock',
    'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'];
  const COLUMNS = 8;
  // Header fields shown in this order; anything else the API adds is listed after them.
  const KNOWN = ['id', 'time', 'receivedAt', 'transport', 'source', 'sender', 'format', 'host', 'app', 'procId', 'msgId',
    'facility', 'severity', 'flags', 'parseError', 'structuredData', 'message', 'rawBase64', 'rawText', 'json', 'fields', 'tags'];

  function sevName(n) {
    return Number.isInteger(n) && n >= 0 && n < SEVERITIES.length ? SEVERITIES[n] : (n === null || n === undefined ? '—' : String(n));
  }

  function facName(n) {
    return Number.isInteger(n) && n >= 0 && n < FACILITIES.length ? `${FACILITIES[n]} (${n})` : (n === null || n === undefined ? '—' : String(n));
  }

  function cell(className, value) {
    const td = el('td', className);
    td.appendChild(U.text(value === null || value === undefined ? '—' : value));
    return td;
  }

  function row(ev) {
    const tr = el('tr', 'event');
    tr.setAttribute('data-id', String(ev.id));
    tr.tabIndex = 0;
    tr.setAttribute('aria-expanded', 'false');
    const sev = ev.severity;
    if (Number.isInteger(sev) && sev >= 0 && sev <= 7) tr.classList.add(`sev-${sev}`);
    tr.appendChild(el('td', 'c-time', U.time(ev.time)));
    tr.appendChild(el('td', 'c-time', U.time(ev.receivedAt)));
    tr.appendChild(cell('c-host', ev.host));
    tr.appendChild(cell('c-app', ev.app));
    tr.appendChild(cell('c-pid', ev.procId ?? ''));
    tr.appendChild(el('td', 'c-sev', sevName(sev)));
    tr.appendChild(el('td', 'c-transport', ev.transport ?? ''));
    const msg = el('td', 'c-msg');
    for (const f of Array.isArray(ev.flags) ? ev.flags : []) {
      const badge = el('span', `flag flag-${U.token(f)}`, f);
      badge.setAttribute('title', `flag: ${String(f)}`);
      msg.appendChild(badge);
      msg.appendChild(document.createTextNode(' '));
    }
    msg.appendChild(U.textEl('span', 'msg', ev.message ?? ''));
    tr.appendChild(msg);
    tr._event = ev; // the parsed object, for the detail panel (never serialised to HTML)
    return tr;
  }

  function fieldList(ev) {
    const d = el('dl', 'fields');
    const add = (k, v) => {
      d.appendChild(U.textEl('dt', null, k));
      d.appendChild(U.textEl('dd', null, v === null || v === undefined || v === '' ? '—' : v));
    };
    add('id', ev.id);
    add('time', U.time(ev.time));
    add('receivedAt', U.time(ev.receivedAt));
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
    add('message', ev.message);
    for (const [k, v] of Object.entries(ev)) {
      if (KNOWN.includes(k) || v === null || v === undefined) continue;
      add(k, typeof v === 'object' ? JSON.stringify(v) : v);
    }
    return d;
  }

  // Decoded fields (name → value), when the parser found any: names are as untrusted as values.
  function decodedFields(fields) {
    const d = el('dl', 'fields decoded');
    for (const [k, v] of Object.entries(fields)) {
      d.appendChild(U.textEl('dt', null, k));
      d.appendChild(U.textEl('dd', null, typeof v === 'object' && v !== null ? JSON.stringify(v) : v));
    }
    return d;
  }

  function block(title, node, id) {
    const box = el('div', 'block');
    box.appendChild(el('h3', null, title));
    const pre = el('pre', 'raw');
    if (id) pre.id = id;
    pre.appendChild(node);
    box.appendChild(pre);
    return box;
  }

  // Raw bytes: exact (from rawBase64) as UTF-8 text when they are valid UTF-8, else escaped byte by
  // byte; a hex dump on request.
  function rawBlock(ev) {
    const box = el('div', 'block');
    const head = el('h3', null, 'Raw');
    box.appendChild(head);
    if (typeof ev.rawBase64 !== 'string') {
      const pre = el('pre', 'raw');
      pre.id = 'detail-raw';
      pre.appendChild(U.text(ev.message ?? ''));
      head.textContent = 'Raw (not kept: the message)';
      box.appendChild(pre);
      return box;
    }
    let bytes;
    try { bytes = U.base64Bytes(ev.rawBase64); } catch (_) { bytes = new Uint8Array(0); }
    const view = U.rawView(bytes);
    head.textContent = `Raw, ${bytes.length} bytes, ${view.utf8 ? 'UTF-8' : 'not valid UTF-8: bytes outside printable ASCII as \\xNN'}`;
    const pre = el('pre', 'raw');
    pre.id = 'detail-raw';
    pre.appendChild(view.node);
    box.appendChild(pre);
    const toggle = U.button('Hex', 'secondary small-button', 'detail-hex-toggle');
    const hex = el('pre', 'raw hex', U.hexDump(bytes));
    hex.id = 'detail-hex';
    hex.hidden = true;
    toggle.addEventListener('click', () => { hex.hidden = !hex.hidden; toggle.textContent = hex.hidden ? 'Hex' : 'Hide hex'; });
    box.appendChild(toggle);
    box.appendChild(hex);
    return box;
  }

  function detail(ev) {
    const panel = el('div', 'detail');
    panel.id = 'detail';
    const left = el('section', 'detail-fields');
    left.appendChild(el('h3', null, 'Parsed'));
    left.appendChild(fieldList(ev));
    for (const [name, title] of [['fields', 'Decoded fields'], ['tags', 'Tags (from the listener)']]) {
      const map = ev[name];
      if (!map || typeof map !== 'object' || Object.keys(map).length === 0) continue;
      left.appendChild(el('h3', null, title));
      const d = decodedFields(map);
      d.id = `detail-${name}`;
      left.appendChild(d);
    }
    const right = el('section', 'detail-raw');
    right.appendChild(rawBlock(ev));
    if (ev.structuredData !== null && ev.structuredData !== undefined && ev.structuredData !== '') {
      const sd = typeof ev.structuredData === 'string' ? ev.structuredData : JSON.stringify(ev.structuredData, null, 2);
      right.appendChild(block('Structured data', U.text(sd), 'detail-sd'));
    }
    if (ev.json !== null && ev.json !== undefined) {
      let pretty;
      try { pretty = JSON.stringify(ev.json, null, 2); } catch (_) { pretty = String(ev.json); }
      right.appendChild(block('Agent event (JSON)', U.text(pretty), 'detail-json'));
    }
    const link = el('a', 'small', 'open on its own page');
    link.href = `/events.html?id=${encodeURIComponent(String(ev.id))}`;
    right.appendChild(link);
    panel.appendChild(left);
    panel.appendChild(right);
    return panel;
  }

  // Click or Enter on a row opens its detail under it; again closes it.
  function expandable(tbody) {
    const collapse = () => {
      const open = tbody.querySelector('tr.detail-row');
      if (open) open.remove();
      for (const r of tbody.querySelectorAll('tr.event.selected')) {
        r.classList.remove('selected');
        r.setAttribute('aria-expanded', 'false');
      }
    };
    const expand = (tr) => {
      collapse();
      const d = el('tr', 'detail-row');
      const td = el('td');
      td.colSpan = COLUMNS;
      td.appendChild(detail(tr._event));
      d.appendChild(td);
      tr.after(d);
      tr.classList.add('selected');
      tr.setAttribute('aria-expanded', 'true');
    };
    const toggle = (tr) => (tr.classList.contains('selected') ? collapse() : expand(tr));
    tbody.addEventListener('click', (e) => {
      if (e.target.closest('tr.detail-row')) return; // text in the panel stays selectable
      const tr = e.target.closest('tr.event');
      if (tr && tbody.contains(tr)) toggle(tr);
    });
    tbody.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter' && e.key !== ' ') return;
      const tr = e.target.closest('tr.event');
      if (tr && e.target === tr) { e.preventDefault(); toggle(tr); }
    });
    return { collapse, expand };
  }

  return { row, detail, expandable, sevName, COLUMNS };
})();
