// Redoubt console — the signed-in session, shared by every page (loaded before the page's script).
// Sends the CSRF token on every change, sends an expired session back to the sign-in page, and
// fills the header's user name and sign-out button (ids nav-user, nav-signout).
'use strict';

window.RedoubtSession = (() => {
  let session = null;

  function toSignIn() {
    location.assign('/login.html');
  }

  async function request(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (method !== 'GET' && method !== 'HEAD' && session && session.csrfToken) headers['X-CSRF-Token'] = session.csrfToken;
    let res;
    try {
      res = await fetch(path, {
        method,
        headers,
        credentials: 'same-origin',
        cache: 'no-store',
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new Error(`Network error: ${e && e.message ? e.message : e}`);
    }
    if (res.status === 401) {
      toSignIn();
      throw new Error('Signed out');
    }
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (_) { data = null; }
    if (!res.ok) {
      const msg = data && typeof data.message === 'string' ? data.message
        : data && typeof data.error === 'string' ? data.error : (text || res.statusText);
      const err = new Error(`HTTP ${res.status}: ${msg}`);
      err.status = res.status;
      err.code = data && data.error;
      throw err;
    }
    return data;
  }

  const ready = (async () => {
    session = await request('GET', '/api/v1/auth/session');
    const user = document.getElementById('nav-user');
    if (user) user.textContent = `${session.name} (${session.role || session.kind})`;
    const out = document.getElementById('nav-signout');
    if (out) {
      out.addEventListener('click', async () => {
        try { await request('POST', '/api/v1/auth/logout'); } catch (_) { /* signed out either way */ }
        toSignIn();
      });
    }
    return session;
  })();

  return {
    ready,
    get: (path) => request('GET', path),
    post: (path, body) => request('POST', path, body === undefined ? {} : body),
    patch: (path, body) => request('PATCH', path, body),
    del: (path) => request('DELETE', path),
    isAdmin: () => !!session && Array.isArray(session.scopes) && session.scopes.includes('admin'),
  };
})();
