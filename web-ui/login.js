// Redoubt console — sign-in and first-start setup. Served without a session: holds no data.
// Every message shown comes from textContent (server text is never parsed as HTML).
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);

  function show(el, msg) {
    el.textContent = msg;
    el.hidden = false;
  }

  async function postJson(path, body) {
    const res = await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
    });
    let data = null;
    try { data = await res.json(); } catch (_) { data = null; }
    if (!res.ok) {
      const msg = data && typeof data.message === 'string' ? data.message : `HTTP ${res.status}`;
      const err = new Error(msg);
      err.code = data && data.error;
      throw err;
    }
    return data;
  }

  function afterSignIn() {
    location.assign('/');
  }

  $('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const err = $('login-error');
    err.hidden = true;
    $('login-submit').disabled = true;
    try {
      await postJson('/api/v1/auth/login', { user: $('login-user').value.trim(), password: $('login-password').value });
      afterSignIn();
    } catch (x) {
      show(err, x.message);
      $('login-password').value = '';
    } finally {
      $('login-submit').disabled = false;
    }
  });

  $('setup-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const err = $('setup-error');
    err.hidden = true;
    if ($('setup-password').value !== $('setup-password2').value) {
      show(err, 'The two passwords differ.');
      return;
    }
    $('setup-submit').disabled = true;
    try {
      await postJson('/api/v1/auth/setup', {
        setupCode: $('setup-code').value.trim(),
        user: $('setup-user').value.trim(),
        password: $('setup-password').value,
      });
      afterSignIn();
    } catch (x) {
      show(err, x.message);
    } finally {
      $('setup-submit').disabled = false;
    }
  });

  (async () => {
    try {
      const res = await fetch('/api/v1/auth/state', { credentials: 'same-origin', cache: 'no-store' });
      const state = await res.json();
      if (state.signedIn) { afterSignIn(); return; }
      $('signin-loading').hidden = true;
      if (state.setupRequired) {
        $('setup-section').hidden = false;
        $('setup-code').focus();
      } else {
        $('login-section').hidden = false;
        $('login-user').focus();
      }
    } catch (x) {
      show($('signin-loading'), `Cannot reach the appliance: ${x.message}`);
    }
  })();
})();
