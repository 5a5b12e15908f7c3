'use strict';
/**
 * wrk on core 1 (`taskset -c 1 wrk -t1 -cN`) against `GET /hello` of a local server, and its output parsed:
 * req/s, requests, p50/p90/p99 in ms, non-2xx responses and socket errors. Shared by bench/http.js and
 * bench/scrape.js. Needs wrk (`apt-get install -y wrk`) and taskset (util-linux).
 */
const { execFile } = require('node:child_process');

/**
 * Runs wrk for `seconds`; `latency` adds the percentiles (`--latency`); `children` (a Set) holds the
 * wrk process while it runs, so that the caller can kill it on exit.
 */
function runWrk(port, seconds, { latency = true, connections = 50, children } = {}) {
  const wrkArgs = ['-c', '1', 'wrk', '-t1', `-c${connections}`, `-d${seconds}s`, ...(latency ? ['--latency'] : []), `http://127.0.0.1:${port}/hello`];
  return new Promise((resolve, reject) => {
    const child = execFile('taskset', wrkArgs, { timeout: (seconds + 20) * 1000, killSignal: 'SIGKILL' }, (error, stdout) => {
      children?.delete(child);
      if (error) reject(new Error(`wrk failed: ${error.message}`));
      else {
        try {
          resolve(parseWrk(stdout));
        } catch (parseError) {
          reject(parseError);
        }
      }
    });
    children?.add(child);
  });
}

function toMs(value, unit) {
  const n = Number(value);
  return unit === 'us' ? n / 1000 : unit === 'ms' ? n : unit === 's' ? n * 1000 : unit === 'm' ? n * 60000 : NaN;
}

/** wrk's text output → numbers (latencies in ms; a percentile wrk did not print is undefined). */
function parseWrk(out) {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const pct = (p) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out);
    return m ? toMs(m[1], m[2]) : undefined;
  };
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = socket ? socket.slice(1).reduce((a, n) => a + Number(n), 0) : 0;
  if (!Number.isFinite(rps)) throw new Error(`cannot parse wrk output:\n${out}`);
  return { rps, requests, p50: pct(50), p90: pct(90), p99: pct(99), non2xx, socketErrors };
}

module.exports = { runWrk, parseWrk };
