'use strict';
const fs = require('node:fs');

/**
 * CPU time the server's threads ran, and time they waited runnable for a CPU (/proc/PID/task/TID/schedstat,
 * ns). Run time per request is what the server spent, whatever else the shared machine did; the wait
 * is the contention it met (other processes on core 0).
 */
function schedstat(pid) {
  let run = 0;
  let wait = 0;
  // The main (JS) thread's share; the rest is V8's GC helpers and libuv's pool, pinned to the same core.
  let main = 0;
  // Run time by thread name (MainThread, V8Worker = GC helpers, WorkerThread = the export thread, libuv-worker).
  const byName = {};
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const [r, w] = fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
      const comm = fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      run += r;
      wait += w;
      if (tid === String(pid)) main += r;
      byName[comm] = (byName[comm] ?? 0) + r;
    } catch {} // a thread that just ended
  }
  return { run, wait, main, byName };
}

module.exports = { schedstat };
