// Redoubt console — users, API tokens, own password, audit log.
//
// SECURITY: user names, token names and audit details are user-supplied. They reach the DOM only
// through textContent and data-* attributes; no innerHTML, no HTML strings. Strict CSP, no inline script.
'use strict';

(() => {
  const S = window.RedoubtSession;
  const $ = (id) => document.getElementById(id);
  const errorEl = $('error');

  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function showError(msg) { errorEl.textContent = msg; errorEl.hidden = false; }
  function clearError() { errorEl.textContent = ''; errorEl.hidden = true; }
  function fmt(t) { return t ? String(t).replace('T', ' ').replace(/\.\d+/, '').replace('+00:00', 'Z') : '—'; }

  // Only the id: a token id is 12 hex digits, so it is safe in an element id.
  function safeId(s) { return String(s).replace(/[^a-z0-9]/g, ''); }

  function adminOnly(section, e) {
    const body = section.querySelector('tbody');
    if (body) body.textContent = '';
    for (const f of section.querySelectorAll('form')) f.hidden = true;
    const note = el('p', 'hint', e.status === 403 ? 'Only an admin sees this.' : e.message);
    note.setAttribute('data-note', 'admin-only');
    section.appendChild(note);
  }

  // ---------- tokens ----------
  async function loadTokens() {
    const tbody = $('tokens-table').tBodies[0];
    let data;
    try { data = await S.get('/api/v1/tokens'); } catch (e) { adminOnly($('tokens-section'), e); return; }
    tbody.textContent = '';
    for (const t of data.tokens) {
      const tr = el('tr');
      tr.setAttribute('data-token-id', t.id);
      tr.appendChild(el('td', 'mono', t.id));
      tr.appendChild(el('td', null, t.name));
      tr.appendChild(el('td', 'mono', (t.scopes || []).join(' ')));
      const state = el('td', `state state-${t.state === 'active' ? 'active' : 'off'}`, t.state);
      state.classList.add('token-state');
      tr.appendChild(state);
      tr.appendChild(el('td', null, `${fmt(t.createdAt)} by ${t.createdBy}`));
      tr.appendChild(el('td', null, fmt(t.expiresAt)));
      tr.appendChild(el('td', null, fmt(t.lastUsedAt)));
      const cell = el('td');
      if (t.state === 'active') {
        const b = el('button', 'token-revoke', 'Revoke');
        b.type = 'button';
        b.id = `revoke-${safeId(t.id)}`;
        b.setAttribute('data-token-id', t.id);
        cell.appendChild(b);
      }
      tr.appendChild(cell);
      tbody.appendChild(tr);
    }
  }

  $('tokens-table').addEventListener('click', async (e) => {
    const b = e.target.closest('button.token-revoke');
    if (!b) return;
    const id = b.getAttribute('data-token-id');
    if (!confirm(`Revoke token ${id}? Whatever uses it stops working at once.`)) return;
    try {
      await S.del(`/api/v1/tokens/${encodeURIComponent(id)}`);
      clearError();
    } catch (x) { showError(x.message); }
    await loadTokens();
    await loadAudit();
  });

  $('token-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const scopes = Array.from(document.querySelectorAll('input[name="token-scope"]:checked')).map((c) => c.value);
    const days = parseInt($('token-days').value, 10);
    $('token-submit').disabled = true;
    try {
      const t = await S.post('/api/v1/tokens', { name: $('token-name').value.trim(), scopes, expiresInDays: Number.isFinite(days) ? days : null });
      $('new-token-id').textContent = t.id;
      $('new-token-value').value = t.token;
      $('new-token').hidden = false;
      $('new-token-value').select();
      $('token-form').reset();
      clearError();
    } catch (x) {
      showError(x.message);
    } finally {
      $('token-submit').disabled = false;
    }
    await loadTokens();
    await loadAudit();
  });

  $('new-token-copy').addEventListener('click', async () => {
    const v = $('new-token-value');
    v.select();
    try { await navigator.clipboard.writeText(v.value); } catch (_) { /* selected: copy by hand */ }
  });

  $('new-token-done').addEventListener('click', () => {
    $('new-token-value').value = ''; // gone from the page for good
    $('new-token').hidden = true;
  });

  // ---------- users ----------
  async function loadUsers() {
    const tbody = $('users-table').tBodies[0];
    let data;
    try { data = await S.get('/api/v1/users'); } catch (e) { adminOnly($('users-section'), e); return; }
    tbody.textContent = '';
    for (const u of data.users) {
      const tr = el('tr');
      tr.setAttribute('data-user', u.name);
      tr.appendChild(el('td', null, u.name));
      const roleCell = el('td');
      const select = el('select', 'user-role');
      select.setAttribute('data-user', u.name);
      for (const r of ['viewer', 'analyst', 'admin']) {
        const o = el('option', null, r);
        o.value = r;
        if (r === u.role) o.selected = true;
        select.appendChild(o);
      }
      roleCell.appendChild(select);
      tr.appendChild(roleCell);
      tr.appendChild(el('td', null, u.disabled ? 'disabled' : 'enabled'));
      tr.appendChild(el('td', null, `${fmt(u.createdAt)} by ${u.createdBy}`));
      tr.appendChild(el('td', null, fmt(u.lastLoginAt)));
      const cell = el('td');
      const toggle = el('button', 'user-toggle', u.disabled ? 'Enable' : 'Disable');
      toggle.type = 'button';
      toggle.setAttribute('data-user', u.name);
      toggle.setAttribute('data-disabled', u.disabled ? 'true' : 'false');
      cell.appendChild(toggle);
      tr.appendChild(cell);
      tbody.appendChild(tr);
    }
  }

  async function changeUser(name, change) {
    try {
      await S.patch(`/api/v1/users/${encodeURIComponent(name)}`, change);
      clearError();
    } catch (x) { showError(x.message); }
    await loadUsers();
    await loadAudit();
  }

  $('users-table').addEventListener('change', (e) => {
    const s = e.target.closest('select.user-role');
    if (s) changeUser(s.getAttribute('data-user'), { role: s.value });
  });

  $('users-table').addEventListener('click', (e) => {
    const b = e.target.closest('button.user-toggle');
    if (b) changeUser(b.getAttribute('data-user'), { disabled: b.getAttribute('data-disabled') !== 'true' });
  });

  $('user-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    $('user-submit').disabled = true;
    try {
      await S.post('/api/v1/users', { name: $('user-name').value.trim(), role: $('user-role').value, password: $('user-password').value });
      $('user-form').reset();
      clearError();
    } catch (x) {
      showError(x.message);
    } finally {
      $('user-submit').disabled = false;
    }
    await loadUsers();
    await loadAudit();
  });

  // ---------- own password ----------
  $('password-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const status = $('pw-status');
    if ($('pw-new').value !== $('pw-new2').value) { status.textContent = 'The two new passwords differ.'; return; }
    try {
      await S.post('/api/v1/auth/password', { currentPassword: $('pw-current').value, newPassword: $('pw-new').value });
      // The server ended every session and opened a new one for this browser: reload to pick up its CSRF token.
      status.textContent = 'Password changed; other sessions were signed out.';
      location.reload();
    } catch (x) {
      status.textContent = x.message;
    }
    $('password-form').reset();
  });

  // ---------- audit ----------
  async function loadAudit() {
    const tbody = $('audit-table').tBodies[0];
    let data;
    try { data = await S.get('/api/v1/audit?limit=50'); } catch (e) { adminOnly($('audit-section'), e); $('audit-export').hidden = true; return; }
    tbody.textContent = '';
    for (const a of data.entries) {
      const tr = el('tr');
      tr.setAttribute('data-seq', String(a.seq));
      tr.appendChild(el('td', 'mono', fmt(a.time)));
      tr.appendChild(el('td', null, a.actor));
      tr.appendChild(el('td', 'mono', a.action));
      tr.appendChild(el('td', null, a.outcome));
      tr.appendChild(el('td', null, a.target || ''));
      tr.appendChild(el('td', 'mono', a.address || ''));
      tr.appendChild(el('td', null, a.detail || ''));
      tbody.appendChild(tr);
    }
  }

  S.ready.then(() => Promise.all([loadTokens(), loadUsers(), loadAudit()])).catch((e) => showError(e.message));
})();
