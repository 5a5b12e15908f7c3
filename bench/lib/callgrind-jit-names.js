'use strict';
/**
 * Names the JIT code of a callgrind dump: V8's compiled JavaScript has no symbols, so callgrind calls its
 * functions `0x0000000028108f00`. Run the server with `--perf-basic-prof --interpreted-frames-native-stack`
 * (bench/http-callgrind.js with `CG_JIT_NAMES=1`): V8 writes `/tmp/perf-<pid>.map` (`start size name`
 * per line), and this rewrites each such address in the dump to `JS:<name>` (e.g. `JS:*onRequest
 * /work/…/http-tracing.listener.js:62:14`), so that callgrind_annotate shows JavaScript functions.
 * An address is named by the last map entry that covers it (code can be moved and its range reused).
 *
 *   node bench/lib/callgrind-jit-names.js /tmp/perf-<pid>.map <dump> [<dump>...]   # rewrites in place
 */
const fs = require('node:fs');

function readPerfMap(file) {
  const entries = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const match = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line);
    if (match) entries.push({ start: parseInt(match[1], 16), end: parseInt(match[1], 16) + parseInt(match[2], 16), name: match[3] });
  }
  return entries;
}

/** A lookup of address → name: the last entry (in map order) whose range covers the address. */
function namer(entries) {
  const indexed = entries.map((e, order) => ({ ...e, order })).sort((a, b) => a.start - b.start);
  return (address) => {
    let best;
    // Ranges are small and few cover one address: scan back from the last start ≤ address.
    let lo = 0;
    let hi = indexed.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (indexed[mid].start <= address) lo = mid + 1;
      else hi = mid - 1;
    }
    for (let i = hi; i >= 0 && i > hi - 64; i--) {
      const e = indexed[i];
      if (address < e.end && (best === undefined || e.order > best.order)) best = e;
    }
    return best?.name;
  };
}

function nameDump(dump, nameOf) {
  const text = fs.readFileSync(dump, 'utf8');
  let named = 0;
  const out = text.replace(/^((?:c?fn)=\(\d+\)) 0x([0-9a-f]+)$/gm, (line, head, hex) => {
    const name = nameOf(parseInt(hex, 16));
    if (name === undefined) return line;
    named++;
    return `${head} ${name.startsWith('JS:') ? '' : 'JS:'}${name.replace(/\s+/g, ' ')} [0x${hex}]`;
  });
  fs.writeFileSync(dump, out);
  return named;
}

function nameDumps(perfMap, dumps) {
  const nameOf = namer(readPerfMap(perfMap));
  return dumps.map((dump) => ({ dump, named: nameDump(dump, nameOf) }));
}

module.exports = { nameDumps };

if (require.main === module) {
  const [perfMap, ...dumps] = process.argv.slice(2);
  for (const { dump, named } of nameDumps(perfMap, dumps)) console.error(`${dump}: ${named} JIT functions named`);
}
