'use strict';
/**
 * Instruction counts of a bench server, deterministic on a shared box (bench/websocket-callgrind.js,
 * bench/graphql-callgrind.js): the server runs under `valgrind --tool=callgrind` (V8 with
 * `--single-threaded`, so its compiler and GC threads do not add noise of their own), the caller warms it up,
 * zeroes the counters, drives N operations and dumps them; the dump's total is the count for those N.
 *
 *   const server = await bootUnderCallgrind({ script, env, file });   // resolves with { child, port, pid, file }
 *   ...warm up...
 *   zeroCounters(server);
 *   ...drive N operations...
 *   const total = dumpCounters(server);    // instructions since the zero
 *   server.child.kill();
 *
 * `file` is callgrind's `--callgrind-out-file`; the dump of `-d` is `<file>.<n>`, kept for callgrind_annotate.
 * The server sends its port over IPC when it listens: a number, or `{ port, pid }` (bench/lib/server-ipc.js).
 */
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const CONTROL_TIMEOUT_MS = 120_000;

function dumpsOf(file) {
  const prefix = path.basename(file) + '.';
  return fs.existsSync(path.dirname(file)) ? fs.readdirSync(path.dirname(file)).filter((f) => f.startsWith(prefix)) : [];
}

function bootUnderCallgrind({ script, env, file, nodeArgs = [], valgrindArgs = [] }) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Dumps of an earlier run would be read as this one's.
  for (const f of dumpsOf(file)) fs.rmSync(path.join(path.dirname(file), f));
  const args = ['--tool=callgrind', `--callgrind-out-file=${file}`, ...valgrindArgs, process.execPath, '--single-threaded', ...nodeArgs, script];
  const child = spawn('valgrind', args, { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  // valgrind's own banner goes to stderr; keep it for the error if the server dies before it listens.
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve({ child, port: typeof message === 'number' ? message : message.port, pid: child.pid, file }));
    child.once('exit', (code) => reject(new Error(`${script} under callgrind exited with ${code}:\n${stderr}`)));
  });
}

function zeroCounters({ pid }) {
  execFileSync('callgrind_control', ['-z', String(pid)], { timeout: CONTROL_TIMEOUT_MS });
}

/**
 * Dumps the counters and returns the dump's instruction count (its `summary:` or `totals:` line); with
 * `--separate-threads=yes` (valgrindArgs) one dump per thread is written, and the count is their sum.
 */
function dumpCounters(server) {
  return dumpCountersByThread(server).reduce((sum, d) => sum + d.total, 0);
}

/**
 * Dumps the counters and returns one `{ thread, total }` per dump file written (one file, thread 1,
 * unless the server runs with `--separate-threads=yes`, where `<file>.<n>-<tid>` holds thread tid's;
 * thread 1 is the main thread).
 */
function dumpCountersByThread({ pid, file }) {
  const before = new Set(dumpsOf(file));
  execFileSync('callgrind_control', ['-d', String(pid)], { timeout: CONTROL_TIMEOUT_MS });
  const fresh = dumpsOf(file).filter((f) => !before.has(f)).sort();
  if (fresh.length === 0) throw new Error(`callgrind_control -d ${pid} wrote no dump next to ${file}`);
  return fresh.map((name) => {
    const text = fs.readFileSync(path.join(path.dirname(file), name), 'utf8');
    const match = text.match(/^summary: (\d+)/m) ?? text.match(/^totals: (\d+)/m);
    if (!match) throw new Error(`no summary line in ${name}`);
    const thread = /-(\d+)$/.exec(name);
    return { thread: thread ? Number(thread[1]) : 1, file: name, total: Number(match[1]) };
  });
}

module.exports = { bootUnderCallgrind, zeroCounters, dumpCounters, dumpCountersByThread };
