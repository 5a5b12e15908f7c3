'use strict';
/**
 * Runs the benchmarks (each in its own process, so one's garbage and JIT state cannot bleed
 * into the other), prints markdown tables and writes the raw numbers to
 * bench/results/<name>.json.
 *
 *   npm run bench                      # builds dist/ first
 *   npm run bench -- --name before-fix # results file name (default: a timestamp)
 *   npm run bench -- --quick           # fewer iterations, for checking the harness only
 *   npm run bench -- --no-inline       # method calls with --no-turbo-inlining: a pessimistic bound
 *                                      # for call sites V8 does not inline (cold or megamorphic code)
 *   npm run bench -- --only traced,requests,encode   # some parts (methods, traced, requests, encode, render)
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const noInline = args.includes('--no-inline');
const nameIndex = args.indexOf('--name');
const onlyIndex = args.indexOf('--only');
const only = onlyIndex >= 0 && args[onlyIndex + 1] ? new Set(args[onlyIndex + 1].split(',')) : null;
const wanted = (part) => only === null || only.has(part);
const name = nameIndex >= 0 && args[nameIndex + 1] ? args[nameIndex + 1] : new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);

const TARGETS = {
  'sync.counted': { maxOverheadNs: 50 },
  'sync.timed': { maxOverheadNs: 250 },
};
const MAX_RENDER_RATIO = 1.2;
const TRACED_TARGETS = {
  'traced.sampled': { maxRatioToFloor: 1.05 },
  'traced.unsampled': { maxOverheadNs: 150 },
  'traced.fastPath': { maxOverheadNs: 150 },
};
const REQUEST_TRACING_TARGETS = {
  'fast.unsampled': { maxOverheadNs: 150 },
};

function runChild(script, nodeFlags = []) {
  const out = execFileSync(process.execPath, [...nodeFlags, path.join(__dirname, script), ...(quick ? ['--quick'] : [])], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out.trim().split('\n').pop());
}

function machine() {
  const cpuinfo = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  let nproc = os.availableParallelism?.() ?? os.cpus().length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || nproc;
  } catch {}
  const promClient = require('prom-client/package.json').version;
  const nest = require('@nestjs/core/package.json').version;
  return { nproc, cpu: model, node: process.version, v8: process.versions.v8, platform: `${os.platform()} ${os.release()}`, promClient, nest };
}

const fmt = (n, digits = 1) => (n === undefined ? '' : n.toFixed(digits));

/** The Target and Met cells of a row: `target` and whether `value` is at most `max`; two empty cells when `max` is undefined. */
const targetCells = (max, value, target) => (max === undefined ? ['', ''] : [target, value <= max ? 'yes' : '**no**']);

/** A markdown table: its header line, its alignment line, then one line of `cells(row)` per row. */
function table(header, align, rows, cells) {
  return [header, align, ...rows.map((r) => `| ${cells(r).join(' | ')} |`)].join('\n');
}

function methodTable(rows) {
  return table('| Variant | ns/call (median) | ± MAD | Overhead vs plain (ns) | Target | Met |', '|---|---:|---:|---:|---|---|', rows, (r) => {
    const max = TARGETS[r.id]?.maxOverheadNs;
    return [r.label, fmt(r.nsPerCall), fmt(r.madNs), fmt(r.overheadNs), ...targetCells(max, r.overheadNs, `≤ ${max} ns over plain`)];
  });
}

function renderTable(results) {
  const rows = results.flatMap((r) => r.variants.map((v) => ({ ...v, sampleLines: r.sampleLines })));
  return table('| Sample lines | Renderer | ms (median) | ± MAD | Ratio to prom-client | Target | Met |', '|---:|---|---:|---:|---:|---|---|', rows, (v) => [
    v.sampleLines.toLocaleString('en-US'),
    v.label,
    fmt(v.ms, 2),
    fmt(v.madMs, 2),
    `${fmt(v.ratioToPromClient, 2)}×`,
    ...targetCells(v.id === 'ours.prometheus' ? MAX_RENDER_RATIO : undefined, v.ratioToPromClient, `≤ ${MAX_RENDER_RATIO}×`),
  ]);
}

function tracedTable(rows) {
  const header = '| Variant | ns/call (median) | ± MAD | Overhead vs plain (ns) | Ratio to nestjs-otel | Ratio to SDK floor | Target | Met |';
  return table(header, '|---|---:|---:|---:|---:|---:|---|---|', rows, (r) => {
    const t = TRACED_TARGETS[r.id];
    const ratio = r.ratioToNestjsOtel === undefined ? '' : `${fmt(r.ratioToNestjsOtel, 2)}×`;
    const floor = r.ratioToFloor === undefined ? '' : `${fmt(r.ratioToFloor, 3)}×`;
    const goal =
      t?.maxRatioToFloor !== undefined
        ? targetCells(t.maxRatioToFloor, r.ratioToFloor, `≤ ${t.maxRatioToFloor}× the SDK floor (by-hand row)`)
        : targetCells(t?.maxOverheadNs, r.overheadNs, `≤ ${t?.maxOverheadNs} ns over plain`);
    return [r.label, fmt(r.nsPerCall), fmt(r.madNs), fmt(r.overheadNs), ratio, floor, ...goal];
  });
}

function requestTable(rows) {
  return table('| Variant | ns/request (median) | ± MAD | Tracing cost vs baseline (ns) | Beyond the context floor (ns) | Target | Met |', '|---|---:|---:|---:|---:|---|---|', rows, (r) => {
    const max = REQUEST_TRACING_TARGETS[r.id]?.maxOverheadNs;
    return [r.label, fmt(r.nsPerRequest), fmt(r.madNs), fmt(r.overheadNs), fmt(r.beyondFloorNs), ...targetCells(max, r.overheadNs, `≤ ${max} ns`)];
  });
}

function encodeTable(rows) {
  return table('| Per span, batches of 512 | µs/span (median) | ± MAD |', '|---|---:|---:|', rows, (r) => [r.label, fmt(r.usPerSpan, 2), fmt(r.madUs, 2)]);
}

function main() {
  const started = Date.now();
  const info = machine();
  process.stderr.write(`benchmarking on ${info.nproc}× ${info.cpu}, node ${info.node}${quick ? ' (quick)' : ''}${noInline ? ' (--no-turbo-inlining)' : ''}...\n`);
  const part = (id, label, script, flags = []) => {
    if (!wanted(id)) return null;
    process.stderr.write(`  ${label}...\n`);
    return runChild(script, flags);
  };
  const methods = part('methods', 'method calls', 'method-calls.js', noInline ? ['--no-turbo-inlining'] : []);
  const traced = part('traced', '@Traced() vs nestjs-otel @Span()', 'traced-calls.js', noInline ? ['--no-turbo-inlining'] : []);
  const requests = part('requests', 'request tracing in the adapter hook', 'request-tracing.js');
  const encode = part('encode', 'span encoding', 'span-encode.js');
  const render = part('render', '/metrics render', 'render.js', ['--expose-gc']);
  const seconds = (Date.now() - started) / 1000;

  const mismatched = render ? render.results.filter((r) => !r.sameSamplesAsPromClient) : [];
  const md = [
    `Machine: ${info.nproc} CPUs, ${info.cpu}, Node ${info.node} (V8 ${info.v8}), prom-client ${info.promClient}, @nestjs/core ${info.nest}. ` +
      `Run: ${new Date(started).toISOString()}, ${seconds.toFixed(0)} s${quick ? ', --quick' : ''}${noInline ? ', method calls with --no-turbo-inlining' : ''}${only ? `, --only ${[...only].join(',')}` : ''}.`,
    ...(methods ? ['',
    '**Method-call cost** (sync: ' +
      `${methods.rows[0].iterations.toLocaleString('en-US')} calls × ${methods.rows[0].rounds} interleaved rounds; overhead = median of per-round differences)`,
    '',
    methodTable(methods.rows)] : []),
    ...(traced ? ['',
    '**@Traced() vs nestjs-otel @Span()** (one TracerProvider: ParentBased(AlwaysOn), BatchSpanProcessor, counting no-op exporter; ' +
      `${traced.rows[1].iterations.toLocaleString('en-US')} span calls / ${traced.rows[0].iterations.toLocaleString('en-US')} other calls × ${traced.rows[0].rounds} interleaved rounds, ` +
      `in chunks of ${traced.chunk.toLocaleString('en-US')} with an event-loop turn between; every sampled call exported exactly one span)`,
    '',
    tracedTable(traced.rows),
    ...(traced.underRemoteSampledParent.traced === 1
      ? []
      : [
          '',
          `WARNING: under a remote sampled parent (extracted traceparent, flags 01) @Traced() exported ${traced.underRemoteSampledParent.traced} span(s), ` +
            `nestjs-otel @Span() ${traced.underRemoteSampledParent.nestjsOtel} (expected 1 each).`,
        ])] : []),
    ...(requests ? ['',
    '**Tracing cost per HTTP request in the adapter hook** (no sockets: the module\'s hook observer with a fake request and response; ' +
      `${requests.rows[0].iterations.toLocaleString('en-US')} requests × ${requests.rows[0].rounds} interleaved rounds; cost = median of per-round differences to the baseline)`,
    '',
    requestTable(requests.rows)] : []),
    ...(encode ? ['',
    `**OTLP encoding per span** (the module's server span, sampled, from the SDK, ${encode.protobufBytesPerSpan.toFixed(0)} bytes in protobuf; ${encode.spans.toLocaleString('en-US')} spans × ${encode.rounds} rounds)`,
    '',
    encodeTable(encode.rows)] : []),
    ...(render ? ['',
    '**/metrics render time** (median of interleaved runs, ratio = median of per-round ratios' +
      (mismatched.length ? `; WARNING: samples differ from prom-client at ${mismatched.map((r) => r.series).join(', ')}` : '; same samples as prom-client') +
      ')',
    '',
    renderTable(render.results)] : []),
  ].join('\n');
  process.stdout.write(md + '\n');

  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify({ name, date: new Date(started).toISOString(), seconds, quick, noInline, machine: info, methodCalls: methods?.rows, tracedCalls: traced, requestTracing: requests?.rows, spanEncode: encode?.rows, render: render?.results, markdown: md }, null, 2) + '\n');
  process.stderr.write(`\nwrote ${path.relative(process.cwd(), file)}\n`);
}

main();
