// Drives the real npm fluent-logger client for the integration tests.
// Usage: node fluent-send.js '<json>' where json is
//   { port, mode: "Message"|"PackedForward"|"CompressedPackedForward", tagPrefix, requireAck, ackTimeoutMs,
//     sharedKey?, clientHostname?, events: [{ label, record, time?: [seconds, nanoseconds] }] }
// Prints one JSON line per event: {"i":N,"ok":true} or {"i":N,"ok":false,"error":"..."}; exits 0
// when every event was acked (or sent, without requireAck), 1 otherwise. Never hangs: a deadline ends it.
'use strict';
const logger = require('fluent-logger');

const spec = JSON.parse(process.argv[2]);
const sender = logger.createFluentSender(spec.tagPrefix || 'redoubt.test', {
  host: '127.0.0.1',
  port: spec.port,
  timeout: 3.0,
  enableReconnect: false,          // a failure must end the run, not schedule a reconnect
  requireAckResponse: !!spec.requireAck,
  ackResponseTimeout: spec.ackTimeoutMs || 10000,   // milliseconds
  eventMode: spec.mode || 'Message',
  flushInterval: 20,
  security: spec.sharedKey ? { clientHostname: spec.clientHostname || 'fluent-logger-test', sharedKey: spec.sharedKey } : undefined,
  internalLogger: { info() {}, error(m) { process.stderr.write('fluent-logger: ' + m + '\n'); } },
});
sender.on('error', (e) => process.stderr.write('error event: ' + e.name + ': ' + e.message + '\n'));

let pending = spec.events.length;
let failed = 0;
const done = () => { sender.end(); process.exit(failed ? 1 : 0); };
setTimeout(() => { process.stderr.write('deadline: ' + pending + ' event(s) without an answer\n'); process.exit(2); },
  (spec.ackTimeoutMs || 10000) + 20000);

spec.events.forEach((e, i) => {
  const time = e.time ? new logger.EventTime(e.time[0], e.time[1]) : undefined;
  const callback = (err) => {
    if (err) failed++;
    console.log(JSON.stringify(err ? { i, ok: false, error: err.name + ': ' + err.message } : { i, ok: true }));
    if (--pending === 0) done();
  };
  if (time) sender.emit(e.label, e.record, time, callback);
  else sender.emit(e.label, e.record, callback);
});
if (pending === 0) done();
