// Redoubt console — imports: inventory files (CSV or JSON) through POST /api/v1/import/{kind} with
// their row errors (imports:write), and a graph document through POST /api/v1/graph/import with its
// per-item errors (admin).
// SECURITY: error messages quote the uploaded file: text only.
'use strict';

(() => {
  const S = window.RedoubtSession;
  const U = window.RedoubtUI;
  const $ = (id) => document.getElementById(id);

  // ---------- inventory files ----------
  const KINDS = ['assets', 'identities', 'vulnerabilities', 'reachability', 'datastores'];

  function showRowErrors(errors, notListed) {
    const table = $('inventory-errors');
    const tbody = U.clear(table.tBodies[0]);
    for (const e of errors) {
      const tr = U.row([[U.num(e.line), 'mono'], [e.error, 'mono'], U.text(e.message)]);
      if (Number.isInteger(e.line)) tr.setAttribute('data-line', String(e.line));
      tbody.appendChild(tr);
    }
    if (notListed > 0) tbody.appendChild(U.row([['…', 'mono'], '', `${U.num(notListed)} more rows refused (not listed)`]));
    table.hidden = errors.length === 0;
  }

  function inventoryStatus(r) {
    const shown = r.source ? ` from "${U.plain(r.source, 200)}"` : '';
    const done = `Import ${r.importId}${shown} (${r.kind}, ${r.format}): ${U.num(r.accepted)} accepted, ${U.num(r.rejected)} rejected.`;
    // Stopped early (a limit, broken JSON, the body cut off): the rows before the line are stored or listed, none after.
    const s = r.stopped;
    if (!s || typeof s !== 'object') return done;
    return `${done} Stopped at line ${U.num(s.line)} (${U.plain(String(s.error), 60)}): ${U.plain(String(s.message), 300)} Nothing from that line on was stored.`;
  }

  $('inventory-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const status = $('inventory-status');
    showRowErrors([], 0);
    const kind = $('inventory-kind').value;
    const file = $('inventory-file').files[0];
    if (!KINDS.includes(kind)) { status.textContent = 'Choose a kind.'; return; }
    if (!file) { status.textContent = 'Choose a file first.'; return; }
    // The server reads CSV or JSON by the content type; a file the browser types as neither is told by its name.
    const json = /json/i.test(file.type) || (!/csv/i.test(file.type) && /\.json$/i.test(file.name));
    const path = `/api/v1/import/${encodeURIComponent(kind)}?source=${encodeURIComponent(file.name.slice(0, 200))}`;
    $('inventory-submit').disabled = true;
    try {
      const r = await S.send('POST', path, file, json ? 'application/json' : 'text/csv');
      status.textContent = inventoryStatus(r);
      showRowErrors(r.errors || [], r.errorsNotListed || 0);
    } catch (x) {
      // 400 with the import's answer: every row refused.
      if (x.body && typeof x.body.accepted === 'number') {
        status.textContent = inventoryStatus(x.body);
        showRowErrors(Array.isArray(x.body.errors) ? x.body.errors : [], x.body.errorsNotListed || 0);
      } else if (x.status === 404 && !x.code) status.textContent = 'This build has no inventory import (POST /api/v1/import/{kind}).';
      else status.textContent = x.message;
    } finally {
      $('inventory-submit').disabled = false;
    }
  });

  // ---------- graph documents ----------
  $('graph-import-file').addEventListener('change', async () => {
    const f = $('graph-import-file').files[0];
    if (f) $('graph-import-json').value = await f.text();
  });

  function showErrors(errors) {
    const table = $('graph-import-errors');
    const tbody = U.clear(table.tBodies[0]);
    for (const e of errors) {
      const tr = U.row([[e.at, 'mono'], [e.error, 'mono'], U.text(e.message)]);
      tr.setAttribute('data-at', U.plain(e.at, 200));
      tbody.appendChild(tr);
    }
    table.hidden = errors.length === 0;
  }

  $('graph-import-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const status = $('graph-import-status');
    showErrors([]);
    const body = $('graph-import-json').value;
    if (!body.trim()) { status.textContent = 'Paste a document or choose a file first.'; return; }
    $('graph-import-submit').disabled = true;
    try {
      const r = await S.send('POST', '/api/v1/graph/import', body, 'application/json');
      status.textContent = `Import ${r.importId} from "${r.source ?? ''}": ${U.num(r.nodes)} nodes, ${U.num(r.edges)} edges applied, ${U.num(r.rejected)} rejected.`;
      showErrors(r.errors || []);
    } catch (x) {
      if (x.status === 404 && !x.code) status.textContent = 'This build has no graph import (POST /api/v1/graph/import).';
      else {
        status.textContent = x.message;
        if (x.body && Array.isArray(x.body.errors)) showErrors(x.body.errors);
      }
    } finally {
      $('graph-import-submit').disabled = false;
    }
  });

  S.ready.then(() => {
    if (!U.can('imports:write')) {
      $('inventory-form').hidden = true;
      $('inventory-status').textContent = 'Importing inventory files needs the imports:write scope (an analyst or admin).';
    }
    if (!U.can('admin')) {
      $('graph-import-form').hidden = true;
      $('graph-import-status').textContent = 'Only an admin imports graph documents.';
    }
  }).catch((e) => U.showError(e.message));
})();
