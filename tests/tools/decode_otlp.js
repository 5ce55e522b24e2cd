'use strict';
// Decodes an OTLP protobuf payload with a decoder lumen did not write: the protobufjs code that
// @opentelemetry/otlp-proto-exporter-base ships (build/src/generated/root.js). Prints JSON:
//   {"message": <the decoded message, field names in lowerCamelCase, 64-bit integers as decimal
//                strings, trace/span ids as lower-case hex>,
//    "spanFlags": {<span id hex>: <Span.flags>}, "linkFlags": {<span id hex>: <Link.flags>}}
// The flags maps exist because this decoder predates Span.flags and Link.flags (fields 16 and 6)
// and drops them; they are read with protobufjs's wire reader.
//
// Usage: node decode_otlp.js <traces|metrics|logs|traces-response> <file>
const fs = require('fs');
const root = require('@opentelemetry/otlp-proto-exporter-base/build/src/generated/root.js');
const { Reader } = require('protobufjs/minimal');

const collector = root.opentelemetry.proto.collector;
const types = {
  traces: collector.trace.v1.ExportTraceServiceRequest,
  'traces-response': collector.trace.v1.ExportTraceServiceResponse,
  metrics: collector.metrics.v1.ExportMetricsServiceRequest,
  logs: collector.logs.v1.ExportLogsServiceRequest,
};
const idFields = new Set(['traceId', 'spanId', 'parentSpanId']);

function toHex(bytes) {
  return Buffer.from(bytes).toString('hex');
}

// Replaces id byte arrays with hex strings, everywhere in the object.
function hexIds(value) {
  if (Array.isArray(value)) return value.map(hexIds);
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = idFields.has(key) && Array.isArray(v) ? toHex(v) : hexIds(v);
  }
  return out;
}

// Calls fn(field, wireType, value) for each top-level field of a message.
function eachField(bytes, fn) {
  const r = Reader.create(bytes);
  while (r.pos < r.len) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire === 2) fn(field, wire, r.bytes());
    else if (wire === 5) fn(field, wire, r.fixed32());
    else if (wire === 0) fn(field, wire, r.uint64());
    else r.skipType(wire);
  }
}

function flagsOf(buf) {
  const spanFlags = {};
  const linkFlags = {};
  const readLink = (link) => {
    let id = null;
    let flags = null;
    eachField(link, (f, w, v) => {
      if (f === 2 && w === 2) id = toHex(v);
      if (f === 6 && w === 5) flags = v;
    });
    if (id !== null && flags !== null) linkFlags[id] = flags;
  };
  const readSpan = (span) => {
    let id = null;
    let flags = null;
    eachField(span, (f, w, v) => {
      if (f === 2 && w === 2) id = toHex(v);
      if (f === 16 && w === 5) flags = v;
      if (f === 13 && w === 2) readLink(v);
    });
    if (id !== null && flags !== null) spanFlags[id] = flags;
  };
  eachField(buf, (f, w, resourceSpans) => {
    if (f !== 1 || w !== 2) return;
    eachField(resourceSpans, (f2, w2, scopeSpans) => {
      if (f2 !== 2 || w2 !== 2) return;
      eachField(scopeSpans, (f3, w3, span) => {
        if (f3 === 2 && w3 === 2) readSpan(span);
      });
    });
  });
  return { spanFlags, linkFlags };
}

function main() {
  const [kind, file] = process.argv.slice(2);
  const type = types[kind];
  if (!type || !file) {
    process.stderr.write(`usage: node decode_otlp.js <${Object.keys(types).join('|')}> <file>\n`);
    process.exit(2);
  }
  const buf = fs.readFileSync(file);
  const message = type.decode(buf);
  const object = type.toObject(message, { longs: String, bytes: Array, json: true });
  const out = { message: hexIds(object) };
  if (kind === 'traces') Object.assign(out, flagsOf(buf));
  process.stdout.write(JSON.stringify(out));
}

try {
  main();
} catch (e) {
  process.stderr.write(`decode_otlp: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
}
