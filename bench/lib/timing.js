'use strict';
// The timing harness the benches share. The per-call benches' subjects and loops are each compiled from
// their own source (the name or label is part of it), so that every variant gets its own function and V8
// keeps separate type feedback per variant, as if each were written out by hand.

/**
 * A loop that calls `obj[method](i)` for i < n and returns the sum of the results (so that the calls cannot
 * be optimized away; sink it).
 */
function makeCallLoop(label, method = 'work') {
  return new Function(
    'obj',
    'n',
    `// ${label}
     let acc = 0;
     for (let i = 0; i < n; i++) acc = (acc + obj.${method}(i)) | 0;
     return acc;`,
  );
}

/** makeCallLoop() for an async method: awaits each call before the next. */
function makeAsyncCallLoop(label, method = 'work') {
  const AsyncFunction = (async () => {}).constructor;
  return new AsyncFunction(
    'obj',
    'n',
    `// ${label}
     let acc = 0;
     for (let i = 0; i < n; i++) acc = (acc + (await obj.${method}(i))) | 0;
     return acc;`,
  );
}

/**
 * One class per name, each with the same tiny, side-effect-free method `work(x) { return x & 1; }`
 * (one class per variant: each decorated one gets its own metric, named after the class).
 */
function workClasses(...names) {
  return Object.fromEntries(names.map((name) => [name, new Function(`return class ${name} { work(x) { return x & 1; } };`)()]));
}

/** workClasses() whose `work` is async: `await resolved` (an already resolved promise), then `x & 1`. */
function asyncWorkClasses(resolved, ...names) {
  return Object.fromEntries(
    names.map((name) => [name, new Function('RESOLVED', `return class ${name} { async work(x) { await RESOLVED; return x & 1; } };`)(resolved)]),
  );
}

/**
 * Milliseconds that `await fn()` takes, after a full GC when the process runs with --expose-gc (so that one
 * variant's garbage is not collected in another's time), and what it returned.
 */
async function timeMs(fn) {
  if (global.gc) global.gc();
  const start = process.hrtime.bigint();
  const result = await fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, result };
}

module.exports = { makeCallLoop, makeAsyncCallLoop, workClasses, asyncWorkClasses, timeMs };
