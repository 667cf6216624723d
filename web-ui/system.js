// Redoubt console — system: version, health, disk and store size, retention, derived stores, backup.
// What this build does not report is said to be missing.
'use strict';

(() => {
  const S = window.RedoubtSession;
  const U = window.RedoubtUI;
  const { el } = U;
  const $ = (id) => document.getElementById(id);

  async function health() {
    try {
      const r = await fetch('/healthz', { cache: 'no-store' });
      return `${r.status === 200 ? 'healthy' : 'unhealthy'}: ${(await r.text()).trim()}`;
    } catch (e) { return `unreachable: ${e.message}`; }
  }

  async function load() {
    const [sys, stats, healthText] = await Promise.all([U.getOptional('/api/v1/system'), S.get('/api/v1/stats'), health()]);
    const app = U.clear($('sys-appliance'));
    if (sys) {
      app.appendChild(U.dl([['Version', sys.version], ['Image', sys.imageVersion || 'not an appliance image'],
        ['Started', U.time(sys.startedAt)], ['Host', sys.hostName], ['Health', healthText],
        ['Watchdog', sys.watchdog ? `systemd watchdog: pinged every ${sys.watchdog.intervalSeconds} s, last ${U.ago(sys.watchdog.lastPing)}` : 'not under a systemd watchdog']]));
    } else {
      app.appendChild(U.dl([['Version', 'not reported: this build has no GET /api/v1/system'], ['Health', healthText]]));
    }
    app.firstChild.id = 'sys-appliance-fields';

    const st = stats.storage || {};
    const storage = [['Event log', U.bytes(stats.storeBytes)], ['Events', U.num(stats.events)], ['Queued writes', U.num(stats.queuedWrites)]];
    if (stats.storage) {
      storage.push(['State', st.state + (st.reason ? `: ${st.reason}` : '')]);
      storage.push(['Free disk', U.bytes(st.freeBytes)]);
      storage.push(['Refuses writes below', U.bytes(st.minFreeBytes)]);
    } else {
      storage.push(['State', stats.storeFailure ? `failed: ${stats.storeFailure}` : 'ok']);
      storage.push(['Free disk', 'not reported by this build']);
    }
    U.clear($('sys-storage')).appendChild(U.dl(storage));

    const r = stats.retention;
    const ret = U.clear($('sys-retention'));
    if (r) {
      ret.appendChild(U.dl([
        ['Oldest event', r.oldestEventId === null || r.oldestEventId === undefined ? 'none' : `${U.time(r.oldestReceivedAt)} (id ${r.oldestEventId})`],
        ['Keep at most', [r.maxAgeDays ? `${r.maxAgeDays} days` : null, r.maxBytes ? U.bytes(r.maxBytes) : null].filter(Boolean).join(', ') || 'no limit set'],
        ['Schedule', r.schedule], ['Next run', U.time(r.nextRun)],
        ['Last run', r.lastRun ? `${U.time(r.lastRun.ranAt)}: dropped ${U.num(r.lastRun.droppedEvents)} events${r.lastRun.heldBackBy ? `, held back by ${r.lastRun.heldBackBy}` : ''}` : 'not yet'],
      ]));
    } else {
      ret.appendChild(el('p', 'hint', 'This build keeps every event (no retention policy reported in /api/v1/stats).'));
    }

    const stores = U.clear($('sys-stores').tBodies[0]);
    for (const s of stats.stores || []) stores.appendChild(U.row([s.name, U.num(s.appliedUntil), U.num(s.checkpointedUntil), U.num(s.failures)]));

    // Online backup: GET /api/v1/admin/backup streams every store as a tar (docs/storage.md); admins only.
    const backup = U.clear($('sys-backup'));
    if (U.can('admin')) {
      // Every store: the event log, the state store (users, tokens, triage) and the graph store.
      const a = el('a', 'button', 'Download a backup (events, state and graph)');
      a.id = 'sys-backup-download';
      a.href = '/api/v1/admin/backup';
      a.setAttribute('download', 'redoubt-backup.tar');
      backup.appendChild(a);
    }
    backup.appendChild(el('p', 'hint', 'An online backup as one tar file (the manifest comes last; restore refuses an archive cut short). '
      + 'On the box: redoubt backup --out FILE (--stores events,state,… for some only), and redoubt restore FILE --data DIR into an empty directory (docs/storage.md). '
      + 'The appliance keeps no record of past backups, so there is no last-backup time to show.'));
    U.clearError();
  }

  S.ready.then(() => U.every(10000, load)).catch((e) => U.showError(e.message));
})();
