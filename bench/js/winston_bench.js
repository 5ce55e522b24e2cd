// The logging workload of bench/log_bench.cpp in winston (the original design's logger): JSON
// lines with a timestamp and the same five fields to a file under /tmp; an info record (caller
// side), a debug record below the level, and end to end (batches of 1000 records until the file
// stream has written them). Prints ns per record (median of runs).
//   node bench/js/winston_bench.js [runs]
'use strict';
const fs = require('fs');
const path = require('path');
const winston = require('winston');

const dir = '/tmp/lumen_log_bench';
fs.mkdirSync(dir, { recursive: true });

function makeLogger(file) {
  return winston.createLogger({
    level: 'info',
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    defaultMeta: { service: 'beautifyai', environment: 'development' },
    transports: [new winston.transports.File({ filename: path.join(dir, file) })],
  });
}

function fields(i) {
  return { model: 'gemini-2.0-flash', operation: 'analyze', tokens: i, duration_ms: 812.5, cached: false };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// Resolves once the file transport has written everything queued so far.
function drained(logger) {
  return new Promise((resolve) => {
    const transport = logger.transports[0];
    const check = () => {
      if (transport._stream && transport._stream.writableLength === 0 &&
          logger.writableLength === 0) resolve();
      else setTimeout(check, 1);
    };
    check();
  });
}

async function main() {
  const runs = Number(process.argv[2] || 5);
  const n = 20000;
  const info = [], filtered = [], e2e = [];
  for (let r = 0; r < runs; ++r) {
    const logger = makeLogger(`winston_${r}.log`);
    let t = process.hrtime.bigint();
    for (let i = 0; i < n; ++i) logger.info('AI request completed', fields(i));
    info.push(Number(process.hrtime.bigint() - t) / n);
    await drained(logger);

    t = process.hrtime.bigint();
    for (let i = 0; i < n; ++i) logger.debug('cache lookup', fields(i));
    filtered.push(Number(process.hrtime.bigint() - t) / n);

    t = process.hrtime.bigint();
    for (let b = 0; b < n / 1000; ++b) {
      for (let i = 0; i < 1000; ++i) logger.info('AI request completed', fields(i));
      await drained(logger);
    }
    e2e.push(Number(process.hrtime.bigint() - t) / n);
    logger.close();
  }
  console.log(`winston ${require('winston/package.json').version}, ${runs} runs of ${n} records`);
  console.log(`winston info, 5 fields (caller side): ${median(info).toFixed(0)} ns/record`);
  console.log(`winston debug below level:           ${median(filtered).toFixed(1)} ns/record`);
  console.log(`winston end to end to a file:         ${median(e2e).toFixed(0)} ns/record`);
}

main();
