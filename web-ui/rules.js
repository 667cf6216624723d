// Redoubt console — detection rules: the loaded rules with counters, enable/disable (when this build
// can), Sigma YAML upload with every load error shown, and the rules that did not load.
// SECURITY: rule titles, ids, file names and error messages may come from uploaded YAML: text only.
'use strict';

(() => {
  const S = window.RedoubtSession;
  const U = window.RedoubtUI;
  const { el } = U;
  const $ = (id) => document.getElementById(id);
  const ROWS_SHOWN = 500;
  let data = null;

  const where = (file, line) => (file ? `${file}${line ? `:${line}` : ''}` : '—');

  function toggleButton(r) {
    if (typeof r.enabled !== 'boolean' || !U.can('admin')) return el('span');
    const b = U.button(r.enabled ? 'Disable' : 'Enable', 'secondary rule-toggle');
    b.setAttribute('data-rule-id', String(r.id));
    b.setAttribute('data-enable', r.enabled ? 'false' : 'true');
    return b;
  }

  function enabledCell(r) {
    if (typeof r.enabled !== 'boolean') return el('td', 'state-off', '—');
    return el('td', r.enabled ? 'state-active' : 'state-off', r.enabled ? 'yes' : `no${r.changedBy ? ` (${r.changedBy})` : ''}`);
  }

  function drawRules() {
    const filter = $('rules-filter').value.trim().toLowerCase();
    const rules = (data.rules || []).filter((r) => !filter
      || [r.title, r.id, r.level, r.status, ...(r.tags || [])].some((x) => x && String(x).toLowerCase().includes(filter)));
    const tbody = U.clear($('rules-table').tBodies[0]);
    for (const r of rules.slice(0, ROWS_SHOWN)) {
      const tr = el('tr');
      tr.setAttribute('data-rule-id', U.plain(r.id, 200));
      const title = U.textEl('td', null, r.title);
      title.appendChild(U.textEl('div', 'mono small', r.id));
      tr.appendChild(title);
      tr.appendChild(el('td', `level-${U.token(r.level || '')}`, r.level || '—'));
      tr.appendChild(U.textEl('td', null, r.status || '—'));
      const ls = r.logsource || {};
      tr.appendChild(U.textEl('td', 'mono', [ls.product, ls.category, ls.service].filter(Boolean).join(' / ') || '—'));
      tr.appendChild(U.textEl('td', 'mono', where(r.file, r.line)));
      tr.appendChild(el('td', 'num', U.num(r.counters && r.counters.evaluations)));
      tr.appendChild(el('td', 'num', U.num(r.counters && r.counters.matches)));
      tr.appendChild(enabledCell(r));
      const td = el('td');
      td.appendChild(toggleButton(r));
      tr.appendChild(td);
      tbody.appendChild(tr);
    }
    $('rules-count').textContent = rules.length > ROWS_SHOWN ? `showing ${ROWS_SHOWN} of ${rules.length} (filter to narrow)` : `${rules.length} rule${rules.length === 1 ? '' : 's'}`;
  }

  function drawCorrelations() {
    const list = data.correlations;
    $('correlations-section').hidden = !Array.isArray(list) || list.length === 0;
    if (!Array.isArray(list)) return;
    const tbody = U.clear($('correlations-table').tBodies[0]);
    for (const c of list) {
      const tr = el('tr');
      tr.setAttribute('data-rule-id', U.plain(c.id, 200));
      tr.appendChild(U.textEl('td', null, c.title));
      tr.appendChild(U.textEl('td', null, c.type));
      tr.appendChild(el('td', `level-${U.token(c.level || '')}`, c.level || '—'));
      tr.appendChild(U.textEl('td', 'mono', (c.groupBy || []).join(', ')));
      tr.appendChild(U.textEl('td', null, c.timespan || '—'));
      tr.appendChild(el('td', 'num', U.num(c.counters && c.counters.fired)));
      tr.appendChild(enabledCell(c));
      const td = el('td');
      td.appendChild(toggleButton(c));
      tr.appendChild(td);
      tbody.appendChild(tr);
    }
  }

  function errorRows(tbody, errors, withFile) {
    U.clear(tbody);
    for (const e of errors) {
      const cells = withFile ? [U.text(e.file || '—'), e.line ?? '—'] : [e.line ?? '—', e.column ?? '—'];
      const tr = U.row([...cells, [e.code, 'mono'], U.text(e.message), U.text(e.title || e.id || '')]);
      tr.setAttribute('data-code', U.token(e.code || ''));
      tbody.appendChild(tr);
    }
  }

  async function load() {
    data = await S.get('/api/v1/rules');
    const s = data.summary || {};
    $('rules-summary').textContent = `${U.num(s.loaded)} rules loaded, ${U.num(s.notLoaded)} not loaded`
      + (s.correlations !== undefined ? `, ${U.num(s.correlations)} correlations` : '')
      + (s.disabled !== undefined ? `, ${U.num(s.disabled)} disabled` : '')
      + `; ${U.num(s.eventsEvaluated)} events evaluated, ${U.num(s.hits)} hits. Folder: ${data.rulesFolder || 'none'}.`;
    drawRules();
    drawCorrelations();
    errorRows($('rule-errors').tBodies[0], data.errors || [], true);
  }

  async function setEnabled(id, enable) {
    try {
      await S.post(`/api/v1/rules/${encodeURIComponent(id)}/${enable ? 'enable' : 'disable'}`);
      U.clearError();
    } catch (e) { U.showError(e.message); }
    await load();
  }

  for (const t of ['rules-table', 'correlations-table']) {
    $(t).addEventListener('click', (e) => {
      const b = e.target.closest('button.rule-toggle');
      if (b) setEnabled(b.getAttribute('data-rule-id'), b.getAttribute('data-enable') === 'true');
    });
  }

  $('rules-filter').addEventListener('input', () => data && drawRules());

  $('rule-file').addEventListener('change', async () => {
    const f = $('rule-file').files[0];
    if (f) $('rule-yaml').value = await f.text();
  });

  $('rule-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const status = $('rule-status');
    const table = $('rule-upload-errors');
    table.hidden = true;
    const yaml = $('rule-yaml').value;
    if (!yaml.trim()) { status.textContent = 'Paste a rule or choose a file first.'; return; }
    $('rule-submit').disabled = true;
    try {
      const r = await S.send('POST', '/api/v1/rules', yaml, 'application/yaml');
      status.textContent = `Loaded: ${(r.loaded || []).join(', ')}`;
      await load();
    } catch (x) {
      const errors = x.body && Array.isArray(x.body.errors) ? x.body.errors : [];
      status.textContent = errors.length ? `Not kept: ${errors.length} error${errors.length === 1 ? '' : 's'}.` : x.message;
      if (errors.length) { errorRows(table.tBodies[0], errors, false); table.hidden = false; }
    } finally {
      $('rule-submit').disabled = false;
    }
  });

  $('rules-reload').addEventListener('click', async () => {
    try {
      const r = await S.post('/api/v1/rules/reload');
      $('rule-status').textContent = `Reloaded: ${U.num(r.loaded)} loaded, ${U.num(r.notLoaded)} not loaded.`;
      await load();
    } catch (x) { U.showError(x.message); }
  });

  S.ready.then(() => {
    if (!U.can('admin')) {
      $('rule-form').hidden = true;
      $('rule-status').textContent = 'Only an admin uploads or changes rules.';
    }
    return load();
  }).catch((e) => U.showError(e.message));
})();
