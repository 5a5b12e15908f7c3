'use strict';
/**
 * Self time of a V8 .cpuprofile (what `node --cpu-prof` writes), per function or per package.
 *
 *   node bench/lib/cpuprofile-top.js FILE.cpuprofile [N=25] [--by-package]
 *
 * Self time per function (name + file:line) as a share of all samples; `--by-package` sums it per
 * package instead (node_modules/<pkg>, dist/ = this library, node: internals, (gc), (program), ...).
 * From code: `selfTime(file, { byPackage, window: [startUs, endUs] })` keeps only the samples taken in
 * a window of the monotonic clock (the one `process.hrtime` reads, in µs), e.g. the measured load.
 */
const fs = require('node:fs');

function packageOf(url) {
  if (url.startsWith('node:')) return 'node: internals';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (/\/dist\//.test(url)) return 'nestjs-observability (dist/)';
  if (/\/bench\//.test(url)) return 'bench app';
  return url.replace(/^file:\/\//, '');
}

function keyOf(frame, byPackage) {
  if (byPackage) return frame.url ? packageOf(frame.url) : frame.functionName || '(anonymous)';
  const where = frame.url ? ` ${frame.url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*\/(dist|bench)\//, '$1/')}:${frame.lineNumber + 1}` : '';
  return `${frame.functionName || '(anonymous)'}${where}`;
}

/** Self time in µs per key, and the total, optionally restricted to a time window (µs). */
function selfTime(file, { byPackage = false, window = null } = {}) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const sums = new Map();
  let total = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    // A sample stands for the time until the next one.
    const dt = i + 1 < profile.timeDeltas.length ? profile.timeDeltas[i + 1] : 0;
    if (window && (t < window[0] || t > window[1])) continue;
    const key = keyOf(byId.get(profile.samples[i]).callFrame, byPackage);
    sums.set(key, (sums.get(key) ?? 0) + dt);
    total += dt;
  }
  return { total, sums };
}

function top(file, n = 25, byPackage = false, window = null) {
  const { total, sums } = selfTime(file, { byPackage, window });
  return {
    total,
    rows: [...sums.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, us, share: us / total })),
  };
}

if (require.main === module) {
  const [file, nArg] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const { total, rows } = top(file, Number(nArg) || 25, process.argv.includes('--by-package'));
  console.log(`${(total / 1000).toFixed(0)} ms sampled`);
  for (const r of rows) console.log(`${(r.share * 100).toFixed(1).padStart(5)}%  ${r.name}`);
}

module.exports = { top, selfTime };
