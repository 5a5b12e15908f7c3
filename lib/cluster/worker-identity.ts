import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** Hex digits of the start token at the head of a worker id's nonce. */
const TOKEN_LENGTH = 12;

/**
 * A token of the process with this pid that changes when the pid is reused: a hash of the kernel's
 * boot id and the process's start time (Linux `/proc/<pid>/stat`). `null` where it cannot be read
 * (not Linux, the process is gone): liveness then rests on the pid alone.
 */
export function processToken(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22, counted after the command name (which may hold spaces and parentheses).
    const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return createHash('sha256').update(`${bootId()}:${startTime}`).digest('hex').slice(0, TOKEN_LENGTH);
  } catch {
    return null;
  }
}

/**
 * This worker's id in the directory: `<pid>-<start token><random>`. The token tells a live worker
 * from a file left by an earlier process whose pid an unrelated process now has. (Ids of earlier
 * versions, `<pid>-<12 random hex>`, have no token and are checked by pid alone.)
 */
export function newWorkerId(): string {
  const token = processToken(process.pid) ?? '0'.repeat(TOKEN_LENGTH);
  return `${process.pid}-${token}${randomBytes(4).toString('hex')}`;
}

export function pidOf(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

/** The start token in a worker id, or `null` (an id of an earlier version, or a system without one). */
export function tokenOf(id: string): string | null {
  const nonce = id.slice(id.indexOf('-') + 1);
  if (nonce.length !== TOKEN_LENGTH + 8) return null;
  const token = nonce.slice(0, TOKEN_LENGTH);
  return /^0+$/.test(token) ? null : token;
}

/** Whether the worker with this id is still running: its pid exists and, where known, is the same process. */
export function isIdAlive(id: string): boolean {
  return isWorkerAlive(pidOf(id), tokenOf(id));
}

/** `true` while a process with this pid exists (EPERM: it exists, owned by someone else) and has this start token. */
export function isWorkerAlive(pid: number, token: string | null): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (token === null) return true;
  const current = processToken(pid);
  return current === null || current === token;
}

/** Whether the process is stopped (SIGSTOP, a debugger): it is alive but answers nothing. Linux only. */
export function isStopped(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.charAt(stat.lastIndexOf(')') + 2);
    return state === 'T' || state === 't';
  } catch {
    return false;
  }
}

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}
