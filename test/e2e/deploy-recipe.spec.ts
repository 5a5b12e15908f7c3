/**
 * docs/deploy.md's "without Docker" recipe, run as written (the block of the page, through bash) with the
 * ports a user would set: Prometheus starts from the rewritten deploy/prometheus.yml and scrapes the two
 * sample ports that were given, not 3000/3001.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../support/free-port';
import { rawRequest } from '../support/raw-http';

const ROOT = resolve(__dirname, '../..');

/** The ```bash block of docs/deploy.md that starts Debian's prometheus. */
function recipe(): string {
  const page = readFileSync(join(ROOT, 'docs', 'deploy.md'), 'utf8');
  const block = [...page.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => /\bprometheus --config\.file/.test(b));
  if (!block) throw new Error('docs/deploy.md has no ```bash block that starts prometheus');
  return block;
}

describe('docs/deploy.md: Prometheus without Docker', () => {
  let dir: string;
  let prometheus: ChildProcess | undefined;
  afterEach(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((r) => prometheus!.once('exit', r));
      // The block runs prometheus as bash's last command: end the whole group.
      process.kill(-prometheus.pid!, 'SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('scrapes the PORT and PRICING_PORT it is given', async () => {
    dir = mkdtempSync(join(tmpdir(), 'obs-deploy-recipe-'));
    const [port, pricing, promPort] = [await freePort(), await freePort(), await freePort()];
    let output = '';
    prometheus = spawn('bash', ['-c', recipe()], {
      cwd: ROOT,
      detached: true,
      env: { ...process.env, PORT: String(port), PRICING_PORT: String(pricing), PROM_PORT: String(promPort), PROM_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    prometheus.stdout!.on('data', (c) => (output += c));
    prometheus.stderr!.on('data', (c) => (output += c));
    const deadline = Date.now() + 60_000;
    for (;;) {
      const ready = await rawRequest(promPort, '/-/ready', { timeoutMs: 2000 }).then((r) => r.status === 200, () => false);
      if (ready) break;
      if (prometheus.exitCode !== null || Date.now() > deadline) throw new Error(`prometheus did not get ready\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    // Targets appear shortly after readiness (service discovery runs on its own).
    type Targets = { data: { activeTargets: Array<{ scrapePool: string; scrapeUrl: string }> } };
    let targets: Targets = { data: { activeTargets: [] } };
    while (targets.data.activeTargets.length < 2 && Date.now() < deadline) {
      targets = JSON.parse((await rawRequest(promPort, '/api/v1/targets', { timeoutMs: 10_000 })).body) as Targets;
      if (targets.data.activeTargets.length < 2) await new Promise((r) => setTimeout(r, 200));
    }
    expect(targets.data.activeTargets.map((t) => [t.scrapePool, t.scrapeUrl]).sort()).toEqual([
      ['orders-sample', `http://127.0.0.1:${port}/metrics`],
      ['pricing-sample', `http://127.0.0.1:${pricing}/metrics`],
    ]);
  }, 90_000);
});
