'use strict';
/**
 * A minimal OTLP/HTTP trace sink for bench/http.js: listens on 127.0.0.1 (port from the OS), answers
 * every `POST /v1/traces` with 200 and an empty ExportTraceServiceResponse, and counts requests,
 * bytes and spans. Spans are counted by walking the protobuf wire format of
 * ExportTraceServiceRequest (resource_spans = 1 → scope_spans = 2 → spans = 2); nothing else is
 * decoded. Two paths play a failing Collector: `/hang/v1/traces` reads the request and never answers,
 * `/503/v1/traces` answers 503 (retryable, no Retry-After); neither counts spans. Talks to its parent over IPC: sends `{ port }` once listening, answers `'stats'` with the
 * counters, exits on `'exit'` (or when the parent goes away).
 */
const http = require('node:http');
const zlib = require('node:zlib');

const stats = { requests: 0, bytes: 0, spans: 0, badBodies: 0, refusedRequests: 0 };
/** `scope|kind|name` → spans received (at most MAX_KEYS keys; the rest go to `…|other`). */
const byKey = new Map();
const MAX_KEYS = 200;
const KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];

function readVarint(buf, pos) {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const b = buf[pos++];
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [value, pos];
    shift += 7;
    if (shift > 63) throw new Error('varint too long');
  }
}

/**
 * Calls `onField(fieldNumber, start, end)` for every length-delimited field of a message, and
 * `onVarint(fieldNumber, value)` for every varint field.
 */
function eachLenField(buf, start, end, onField, onVarint) {
  let pos = start;
  while (pos < end) {
    let key;
    [key, pos] = readVarint(buf, pos);
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) {
      let value;
      [value, pos] = readVarint(buf, pos);
      if (onVarint) onVarint(field, value);
    }
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      let len;
      [len, pos] = readVarint(buf, pos);
      if (pos + len > end) throw new Error('truncated field');
      onField(field, pos, pos + len);
      pos += len;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  if (pos !== end) throw new Error('message overrun');
}

function tally(scope, kind, name) {
  let key = `${scope}|${KINDS[kind] ?? kind}|${name}`;
  if (!byKey.has(key) && byKey.size >= MAX_KEYS) key = `${scope}|${KINDS[kind] ?? kind}|other`;
  byKey.set(key, (byKey.get(key) ?? 0) + 1);
}

function countSpans(buf) {
  let spans = 0;
  eachLenField(buf, 0, buf.length, (f1, s1, e1) => {
    if (f1 !== 1) return; // ResourceSpans
    eachLenField(buf, s1, e1, (f2, s2, e2) => {
      if (f2 !== 2) return; // ScopeSpans
      let scope = '';
      eachLenField(buf, s2, e2, (f3, s3, e3) => {
        if (f3 === 1) {
          // InstrumentationScope (comes first in what the OTLP exporters write)
          eachLenField(buf, s3, e3, (f4, s4, e4) => {
            if (f4 === 1) scope = buf.toString('utf8', s4, e4);
          });
        } else if (f3 === 2) {
          // Span
          spans++;
          let name = '';
          let kind = 0;
          eachLenField(
            buf,
            s3,
            e3,
            (f4, s4, e4) => {
              if (f4 === 5) name = buf.toString('utf8', s4, e4);
            },
            (f4, value) => {
              if (f4 === 6) kind = value;
            },
          );
          tally(scope, kind, name);
        }
      });
    });
  });
  return spans;
}

const server = http.createServer((req, res) => {
  if (req.url.startsWith('/hang/') || req.url.startsWith('/503/')) {
    stats.refusedRequests++;
    req.resume();
    if (req.url.startsWith('/503/')) req.on('end', () => res.writeHead(503, { 'content-length': 0 }).end());
    return;
  }
  stats.requests++;
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let body = Buffer.concat(chunks);
    stats.bytes += body.length;
    try {
      const encoding = req.headers['content-encoding'];
      if (encoding === 'gzip') body = zlib.gunzipSync(body);
      else if (encoding === 'deflate') body = zlib.inflateSync(body);
      stats.spans += countSpans(body);
    } catch {
      stats.badBodies++;
    }
    res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 });
    res.end();
  });
});

server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('message', (message) => {
  if (message === 'stats') process.send({ stats: { ...stats, byKey: Object.fromEntries(byKey) } });
  else if (message === 'exit') server.close(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
setTimeout(() => process.exit(0), 30 * 60 * 1000).unref(); // never outlive a bench run
