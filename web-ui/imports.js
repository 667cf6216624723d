// Redoubt console — imports: a graph document through POST /api/v1/graph/import with its per-item
// errors. Inventory file imports are shown disabled until the appliance has their endpoint.
// SECURITY: error messages quote the uploaded document: text only.
'use strict';

(() => {
  const S = window.RedoubtSession;
  const U = window.RedoubtUI;
  const $ = (id) => document.getElementById(id);

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
    if (!U.can('admin')) {
      $('graph-import-form').hidden = true;
      $('graph-import-status').textContent = 'Only an admin imports graph documents.';
    }
  }).catch((e) => U.showError(e.message));
})();
