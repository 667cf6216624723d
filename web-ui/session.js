// Redoubt console — the signed-in session, shared by every page (loaded before ui.js and the page's
// script). Sends the CSRF token on every change and sends an expired session back to the sign-in page.
// ui.js builds the navigation, the user name and the sign-out button from it.
'use strict';

window.RedoubtSession = (() => {
  let session = null;

  // Once: the sign-out button and a poll answered 401 both come here, and a second navigation to the
  // same page aborts the first one under way.
  let leaving = false;
  function toSignIn() {
    if (leaving) return;
    leaving = true;
    location.assign('/login.html');
  }

  // body: an object (sent as JSON), or { raw: string|Blob, type: 'content type' } sent as it is.
  async function request(method, path, body) {
    const headers = { Accept: 'application/json' };
    let payload;
    if (body !== undefined && body !== null && Object.prototype.hasOwnProperty.call(body, 'raw')) {
      headers['Content-Type'] = body.type || 'application/octet-stream';
      payload = body.raw;
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    if (method !== 'GET' && method !== 'HEAD' && session && session.csrfToken) headers['X-CSRF-Token'] = session.csrfToken;
    let res;
    try {
      res = await fetch(path, {
        method,
        headers,
        credentials: 'same-origin',
        cache: 'no-store',
        body: payload,
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
      err.body = data;
      throw err;
    }
    return data;
  }

  const ready = (async () => {
    session = await request('GET', '/api/v1/auth/session');
    return session;
  })();

  return {
    ready,
    get: (path) => request('GET', path),
    post: (path, body) => request('POST', path, body === undefined ? {} : body),
    patch: (path, body) => request('PATCH', path, body),
    del: (path) => request('DELETE', path),
    send: (method, path, raw, type) => request(method, path, { raw, type }),
    current: () => session,
    toSignIn,
    isAdmin: () => !!session && Array.isArray(session.scopes) && session.scopes.includes('admin'),
  };
})();
