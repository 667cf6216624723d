// Drives the real npm fluent-logger client for the integration tests.
// Usage: node fluent-send.js SPEC.json, where the file holds
//   { port, mode: "Message"|"PackedForward"|"CompressedPackedForward", tagPrefix, requireAck, ackTimeoutMs,
//     sharedKey?, clientHostname?, events: [{ label, record, time?: [seconds, nanoseconds] }] }
// Prints one JSON line per event: {"i":N,"ok":true} or {"i":N,"ok":false,"error":"..."}; exits 0
// when every event was acked (or sent, without requireAck), 1 otherwise. Never hangs: a deadline ends it.
'use strict';
const fs = require('fs');
const logger = require('fluent-logger');

const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
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
let pending = spec.events.length;
let failed = 0;
const answered = new Set();
const done = () => { sender.end(); process.exit(failed ? 1 : 0); };
sender.on('error', (e) => {
  process.stderr.write('error event: ' + e.name + ': ' + e.message + '\n');
  // A refused handshake never calls the emit callbacks: answer them here instead of waiting.
  if (e.name === 'HandshakeError' || e.code === 'ECONNREFUSED') {
    spec.events.forEach((_, i) => { if (!answered.has(i)) console.log(JSON.stringify({ i, ok: false, error: e.name + ': ' + e.message })); });
    process.exit(1);
  }
});
setTimeout(() => { process.stderr.write('deadline: ' + pending + ' event(s) without an answer\n'); process.exit(2); },
  (spec.ackTimeoutMs || 10000) + 10000);

spec.events.forEach((e, i) => {
  const time = e.time ? new logger.EventTime(e.time[0], e.time[1]) : undefined;
  const callback = (err) => {
    if (answered.has(i)) return;
    answered.add(i);
    if (err) failed++;
    console.log(JSON.stringify(err ? { i, ok: false, error: err.name + ': ' + err.message } : { i, ok: true }));
    if (--pending === 0) done();
  };
  if (time) sender.emit(e.label, e.record, time, callback);
  else sender.emit(e.label, e.record, callback);
});
if (pending === 0) done();
