#!/usr/bin/env node
// Decodes a Thrift binary jaeger.Batch (the body of a POST to Jaeger's /api/traces) with thriftrw
// and Jaeger's own IDL as shipped by jaeger-client, and prints it as JSON. The lumen tests use it
// as a decoder they did not write.
//
//   node decode_jaeger.js <file>
//
// i64 values: the id fields (traceIdLow/High, spanId, parentSpanId) are printed as 16 lower-case
// hex digits of their bits; every other i64 (startTime, duration, timestamp, vLong) as a signed
// decimal string, so that no precision is lost in JSON. Binary values are hex. Absent optional
// fields are null. Exit status: 0 decoded, 1 bad input, 2 the decoder itself is not installed.
'use strict';

const fs = require('fs');
const path = require('path');

function fail(code, message) {
  process.stderr.write(`decode_jaeger.js: ${message}\n`);
  process.exit(code);
}

let Thrift;
let idlSource;
try {
  const jaegerDir = path.dirname(require.resolve('jaeger-client/package.json'));
  // thriftrw is jaeger-client's dependency: found hoisted or nested under jaeger-client.
  ({ Thrift } = require(require.resolve('thriftrw', { paths: [jaegerDir] })));
  idlSource = fs.readFileSync(
      path.join(jaegerDir, 'dist', 'src', 'jaeger-idl', 'thrift', 'jaeger.thrift'), 'ascii');
} catch (err) {
  fail(2, `cannot load thriftrw and the jaeger-client IDL from ${__dirname}/node_modules ` +
          `(install them with: cd ${__dirname} && npm ci): ${err.message}`);
}

if (process.argv.length !== 3) fail(1, 'usage: node decode_jaeger.js <file>');

let input;
try {
  input = fs.readFileSync(process.argv[2]);
} catch (err) {
  fail(1, `cannot read ${process.argv[2]}: ${err.message}`);
}

const jaeger = new Thrift({ source: idlSource, allowOptionalArguments: true });
const result = jaeger.Batch.rw.readFrom(input, 0);
if (result.err) fail(1, `not a valid jaeger.Batch: ${result.err.message}`);
if (result.offset !== input.length) {
  fail(1, `jaeger.Batch ends at byte ${result.offset} but the input has ${input.length} bytes`);
}

const ID_FIELDS = new Set(['traceIdLow', 'traceIdHigh', 'spanId', 'parentSpanId']);

function i64Buffer(value) {
  if (!Buffer.isBuffer(value) || value.length !== 8) {
    fail(1, `expected an 8-byte i64 from thriftrw, got ${JSON.stringify(value)}`);
  }
  return value;
}

function toPlain(value, key) {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) {
    if (key === 'vBinary') return value.toString('hex');
    const hex = i64Buffer(value).toString('hex');
    if (ID_FIELDS.has(key)) return hex;
    return BigInt.asIntN(64, BigInt('0x' + hex)).toString();
  }
  if (Array.isArray(value)) return value.map((v) => toPlain(v, key));
  if (typeof value === 'object') {
    const out = {};
    for (const k of Object.keys(value)) out[k] = toPlain(value[k], k);
    return out;
  }
  return value;
}

process.stdout.write(JSON.stringify(toPlain(result.value, ''), null, 1) + '\n');
