/**
 * A real Prometheus Pushgateway for tests: Debian's `prometheus-pushgateway` binary (installed by
 * `.ci/run`), on 127.0.0.1 and a free port, with its persistence file in a temporary folder. Always
 * `stop()` it (e.g. in `afterAll`): it kills the process and removes the folder.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';
import { spawnOwned } from './owned-process';

export const PUSHGATEWAY_BINARY = '/usr/bin/prometheus-pushgateway';

export interface PushgatewayServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `127.0.0.1:PORT`, for a Prometheus scrape target. */
  address: string;
  /** The gateway's own /metrics text: every pushed group's series (with `job` and grouping labels). */
  metrics(): Promise<string>;
  /** The pushed groups as `/api/v1/metrics` lists them: the labels of each. */
  groups(): Promise<Array<Record<string, string>>>;
  output(): string;
  stop(): Promise<void>;
}

export async function startPushgateway(): Promise<PushgatewayServer> {
  const dir = mkdtempSync(join(tmpdir(), 'pushgateway-e2e-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const supervised = spawnOwned(PUSHGATEWAY_BINARY, [`--web.listen-address=127.0.0.1:${port}`, `--persistence.file=${join(dir, 'pushgateway.data')}`], dir);
  const { child, running, stop } = supervised;
  const hint = ` (install Debian's "prometheus-pushgateway"; bash .ci/run does)`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (!running() && (child.exitCode !== null || supervised.output().includes('spawn error'))) {
      await stop();
      throw new Error(`The Pushgateway exited${hint}:\n${supervised.output()}`);
    }
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`The Pushgateway did not get ready:\n${supervised.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    address: `127.0.0.1:${port}`,
    metrics: async () => (await fetch(`${url}/metrics`)).text(),
    groups: async () => {
      const answer = (await (await fetch(`${url}/api/v1/metrics`)).json()) as { data: Array<{ labels: Record<string, string> }> };
      return answer.data.map((group) => group.labels);
    },
    output: supervised.output,
    stop,
  };
}
