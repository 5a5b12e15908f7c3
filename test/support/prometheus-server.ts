/**
 * A real Prometheus server for tests: Debian's `prometheus` binary (installed by `.ci/run`), on
 * 127.0.0.1 and a free port, with its TSDB in a temporary folder; plus a small client of its HTTP API.
 * Always `stop()` it (e.g. in `afterAll`): it kills the process and removes the folder.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';
import { spawnOwned } from './owned-process';

/** One series of an instant query's vector result. */
export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** An API answer: `status` is `'success'` or `'error'` (then `errorType` and `error` say why). */
export interface PromResponse<T> {
  status: 'success' | 'error';
  data: T;
  errorType?: string;
  error?: string;
  warnings?: string[];
}

export interface PromQueryData {
  resultType: 'vector' | 'matrix' | 'scalar' | 'string';
  result: PromSample[] | [number, string];
}

/** A rule as `/api/v1/rules` reports it. */
export interface PromRule {
  name: string;
  query: string;
  type: 'alerting' | 'recording';
  health: 'ok' | 'err' | 'unknown';
  lastError?: string;
  state?: 'inactive' | 'pending' | 'firing';
  alerts?: Array<{ labels: Record<string, string>; state: string; value: string }>;
}

export interface PrometheusServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** Everything the server logged, for diagnostics. */
  output(): string;
  /** GET or POST (form) an API path; the parsed JSON answer, whatever the HTTP status. */
  api<T>(path: string, params?: Record<string, string>): Promise<PromResponse<T>>;
  /** Instant query at the current time. */
  query(expr: string): Promise<PromResponse<PromQueryData>>;
  /** Polls `check` until it returns a truthy value; rejects after `timeoutMs` with the last error. */
  waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs?: number): Promise<T>;
  /** SIGTERM (SIGKILL after 5 s), then removes the data folder. Safe to call twice. */
  stop(): Promise<void>;
}

/** Runs `promtool` with arguments; its exit status and output. */
export function promtool(args: string[], input?: string): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { encoding: 'utf8', input });
  if (result.error) throw new Error(`promtool is not installed (${result.error.message}). Install Debian's "prometheus" package; bash .ci/run does.`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Starts Prometheus with the given configuration text (written into its temporary folder). */
export async function startPrometheus(configYaml: string, extraArgs: string[] = []): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'prometheus-e2e-'));
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, configYaml);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const owned = spawnOwned(
    'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      ...extraArgs,
    ],
    dir,
  );
  const { running, stop } = owned;

  const api = async <T>(path: string, params?: Record<string, string>): Promise<PromResponse<T>> => {
    const response = params
      ? await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params) })
      : await fetch(`${url}${path}`);
    return (await response.json()) as PromResponse<T>;
  };

  const waitFor = async <T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
      try {
        const value = await check();
        if (value) return value;
      } catch (error) {
        lastError = error;
      }
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}\nPrometheus log:\n${owned.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };

  const server: PrometheusServer = {
    url,
    output: owned.output,
    api,
    query: (expr) => api<PromQueryData>('/api/v1/query', { query: expr }),
    waitFor,
    stop,
  };
  try {
    await waitFor('Prometheus to be ready', async () => {
      if (!running()) throw new Error(`Prometheus exited:\n${owned.output()}`);
      return (await fetch(`${url}/-/ready`)).ok;
    }, 20_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return server;
}
