// The tracing workload of bench/trace_bench.cpp in the OpenTelemetry JS SDK (the original design's
// stack): a sampled span with three attributes through a BatchSpanProcessor with the same limits
// (queue 1000, batch 512, 5 s) and an exporter that drops; an unsampled span; a nested pair with
// each span made current. Prints ns per operation (median of runs) and the share exported.
//   node bench/js/span_bench.js [runs]
'use strict';
const api = require('@opentelemetry/api');
const {
  BasicTracerProvider, BatchSpanProcessor, AlwaysOnSampler, AlwaysOffSampler,
} = require('@opentelemetry/sdk-trace-base');
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');

class DroppingExporter {
  constructor() { this.received = 0; }
  export(spans, done) { this.received += spans.length; done({ code: 0 }); }
  shutdown() { return Promise.resolve(); }
  forceFlush() { return Promise.resolve(); }
}

function pipeline(sampler) {
  const exporter = new DroppingExporter();
  const processor = new BatchSpanProcessor(exporter, {
    maxQueueSize: 1000, maxExportBatchSize: 512, scheduledDelayMillis: 5000,
    exportTimeoutMillis: 30000,
  });
  const provider = new BasicTracerProvider({ sampler, spanProcessors: [processor] });
  return { exporter, provider, tracer: provider.getTracer('bench') };
}

function time(fn, iterations) {
  const start = process.hrtime.bigint();
  fn(iterations);
  return Number(process.hrtime.bigint() - start) / iterations;
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main() {
  const runs = Number(process.argv[2] || 5);
  const n = 200000;
  const results = {};

  {
    const p = pipeline(new AlwaysOnSampler());
    const times = [];
    let produced = 0;
    for (let r = 0; r < runs; r++) {
      times.push(time((iters) => {
        for (let i = 0; i < iters; i++) {
          const span = p.tracer.startSpan('ai.provider.analyze');
          span.setAttribute('ai.model', 'gemini-2.0-flash');
          span.setAttribute('ai.tokens', i);
          span.setAttribute('cache.hit', false);
          span.end();
        }
      }, n));
      produced += n;
      await p.provider.forceFlush();
    }
    results.BM_SpanStartEnd = { ns: median(times), exported_share: p.exporter.received / produced };
  }
  {
    const p = pipeline(new AlwaysOffSampler());
    const times = [];
    for (let r = 0; r < runs; r++) {
      times.push(time((iters) => {
        for (let i = 0; i < iters; i++) {
          const span = p.tracer.startSpan('ai.provider.analyze');
          span.setAttribute('ai.model', 'gemini-2.0-flash');
          span.end();
        }
      }, n));
    }
    results.BM_SpanUnsampled = { ns: median(times) };
  }
  {
    // Each span made current: context.with needs a context manager, as a Node service has.
    api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const p = pipeline(new AlwaysOnSampler());
    const times = [];
    let produced = 0;
    for (let r = 0; r < runs; r++) {
      times.push(time((iters) => {
        for (let i = 0; i < iters; i++) {
          const parent = p.tracer.startSpan('beautifyai.document.enhance');
          api.context.with(api.trace.setSpan(api.context.active(), parent), () => {
            const child = p.tracer.startSpan('ai.provider.analyze');
            api.context.with(api.trace.setSpan(api.context.active(), child), () => {});
            child.end();
          });
          parent.end();
        }
      }, n / 2));
      produced += n;
      await p.provider.forceFlush();
    }
    results.BM_SpanNested = { ns: median(times), exported_share: p.exporter.received / produced };
  }
  console.log(JSON.stringify({ node: process.version, runs, iterations: n, results }, null, 2));
}

main();
