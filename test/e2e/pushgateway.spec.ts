import { Injectable, LoggerService, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { rmSync } from 'node:fs';
import { AddressInfo, createServer, Socket } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Counter } from 'prom-client';
import { MetricsService, ObservabilityConfigError, ObservabilityModule, PushgatewayOptions, PushgatewayService } from '../../lib';
import { sampleValue } from '../fixtures/create-test-app';
import { freePort } from '../support/free-port';
import { PrometheusServer, PromSample, startPrometheus } from '../support/prometheus-server';
import { PushgatewayServer, startPushgateway } from '../support/pushgateway-server';
import { writeDocSnippets } from '../support/doc-snippet-files';
import { until } from '../support/until';

/** A batch job: counts the rows it imports. */
@Injectable()
class ImportJob {
  readonly rows: Counter;
  constructor(metrics: MetricsService) {
    this.rows = metrics.counter({ name: 'import_rows_total', help: 'Rows imported.' });
  }
  run(rows: number): void {
    this.rows.inc(rows);
  }
}

class Warnings implements LoggerService {
  readonly warnings: string[] = [];
  log(): void {}
  error(message: string): void {
    this.warnings.push(String(message));
  }
  warn(message: string): void {
    this.warnings.push(String(message));
  }
}

/** A standalone app (no HTTP server), as a batch job runs. */
async function batchApp(pushgateway: PushgatewayOptions, logger: LoggerService = new Warnings()) {
  @Module({ imports: [ObservabilityModule.forRoot({ metrics: { defaultMetrics: false }, health: false, pushgateway })], providers: [ImportJob] })
  class BatchModule {}
  return NestFactory.createApplicationContext(BatchModule, { logger, abortOnError: false });
}

describe('Pushgateway, real gateway scraped by a real Prometheus', () => {
  let gateway: PushgatewayServer;
  let prometheus: PrometheusServer;
  beforeAll(async () => {
    gateway = await startPushgateway();
    prometheus = await startPrometheus(
      [
        'global:',
        '  scrape_interval: 1s',
        'scrape_configs:',
        '  - job_name: pushgateway',
        // The pushed job and instance labels are kept, not replaced by the gateway's own.
        '    honor_labels: true',
        '    static_configs:',
        `      - targets: ['${gateway.address}']`,
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await prometheus?.stop();
    await gateway?.stop();
  });

  it('a standalone batch app pushes on an interval, and its final values at close; Prometheus scrapes them with the grouping key', async () => {
    const app = await batchApp({ url: gateway.url, job: 'nightly-import', groupingKey: { instance: 'batch-1' }, intervalMs: 100 });
    const job = app.get(ImportJob);
    job.run(3);
    await until('the interval push', async () => sampleValue(await gateway.metrics(), 'import_rows_total', { job: 'nightly-import', instance: 'batch-1' }) === 3);
    job.run(2);
    await app.close();
    // The final push happened before close() resolved.
    expect(sampleValue(await gateway.metrics(), 'import_rows_total', { job: 'nightly-import', instance: 'batch-1' })).toBe(5);
    const series = await prometheus.waitFor('Prometheus to scrape the pushed value', async () => {
      const answer = await prometheus.query('import_rows_total{job="nightly-import"} == 5');
      return (answer.data.result as PromSample[])[0];
    });
    expect(series.metric).toMatchObject({ __name__: 'import_rows_total', job: 'nightly-import', instance: 'batch-1' });
  });

  it('docs/background-jobs.md: the batch job of the page runs, and its rows reach the gateway at close', async () => {
    const dir = writeDocSnippets('docs/background-jobs.md');
    const saved = process.env.PUSHGATEWAY_URL;
    process.env.PUSHGATEWAY_URL = gateway.url;
    try {
      require(join(dir, 'src/import.ts'));
      await until('the pushed rows', async () => sampleValue(await gateway.metrics(), 'import_rows_total', { job: 'orders-import', instance: hostname() }) === 1200);
    } finally {
      if (saved === undefined) delete process.env.PUSHGATEWAY_URL;
      else process.env.PUSHGATEWAY_URL = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pushes only at close with intervalMs 0; two grouping keys are two groups; a value with "/" is base64-encoded', async () => {
    const first = await batchApp({ url: gateway.url, job: 'reports', groupingKey: { shard: 'eu/1' }, intervalMs: 0 });
    const second = await batchApp({ url: gateway.url, job: 'reports', groupingKey: { shard: 'us' }, intervalMs: 0 });
    first.get(ImportJob).run(1);
    second.get(ImportJob).run(7);
    await first.close();
    await second.close();
    const text = await gateway.metrics();
    expect(sampleValue(text, 'import_rows_total', { job: 'reports', shard: 'eu/1' })).toBe(1);
    expect(sampleValue(text, 'import_rows_total', { job: 'reports', shard: 'us' })).toBe(7);
  });

  it('delete() removes the group on demand; onShutdown "delete" removes it at close', async () => {
    const app = await batchApp({ url: gateway.url, job: 'retired', groupingKey: { instance: 'a' }, intervalMs: 0, onShutdown: 'none' });
    const pushgateway = app.get(PushgatewayService);
    await pushgateway.push();
    expect((await gateway.groups()).some((g) => g.job === 'retired' && g.instance === 'a')).toBe(true);
    await pushgateway.delete();
    expect((await gateway.groups()).some((g) => g.job === 'retired')).toBe(false);
    await app.close();
    expect((await gateway.groups()).some((g) => g.job === 'retired')).toBe(false);

    const leaving = await batchApp({ url: gateway.url, job: 'leaving', intervalMs: 0, onShutdown: 'delete' });
    await leaving.get(PushgatewayService).push();
    expect((await gateway.groups()).some((g) => g.job === 'leaving')).toBe(true);
    await leaving.close();
    expect((await gateway.groups()).some((g) => g.job === 'leaving')).toBe(false);
  });

  it('a refused push rejects push() with the gateway\'s reason, and is logged once', async () => {
    const logger = new Warnings();
    const app = await batchApp({ url: gateway.url, job: 'clash', intervalMs: 0, onShutdown: 'none' }, logger);
    try {
      // A metric the gateway refuses: another group has it as a gauge.
      const other = await fetch(`${gateway.url}/metrics/job/other`, { method: 'PUT', body: '# TYPE clash_value gauge\nclash_value 1\n' });
      expect(other.status).toBe(200);
      app.get(MetricsService).counter({ name: 'clash_value', help: 'A counter here.' }).inc();
      const pushgateway = app.get(PushgatewayService);
      await expect(pushgateway.push()).rejects.toThrow(/Pushgateway push failed: the Pushgateway answered 400/);
      await expect(pushgateway.push()).rejects.toThrow(/answered 400/);
      const warnings = logger.warnings.filter((w) => w.includes('Pushgateway'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^Pushgateway: push of group job="clash" to http:\/\/127\.0\.0\.1:\d+ failed: the Pushgateway answered 400: .*clash_value/);
    } finally {
      await app.close();
    }
  });
});

describe('Pushgateway unreachable', () => {
  it('close() still ends, bounded by timeoutMs, and the failure is said once', async () => {
    const logger = new Warnings();
    const port = await freePort();
    const app = await batchApp({ url: `http://127.0.0.1:${port}`, job: 'nowhere', intervalMs: 20, timeoutMs: 500 }, logger);
    await new Promise((r) => setTimeout(r, 200));
    await app.close();
    const warnings = logger.warnings.filter((w) => w.includes('Pushgateway'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/push of group job="nowhere" to http:\/\/127\.0\.0\.1:\d+ failed: ECONNREFUSED/);
  });
});

describe('Pushgateway that accepts the connection and never answers', () => {
  it('the final push gives up after timeoutMs: close() ends and says why', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const logger = new Warnings();
    try {
      const app = await batchApp({ url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, job: 'stuck', intervalMs: 0, timeoutMs: 300 }, logger);
      await app.close();
      const warnings = logger.warnings.filter((w) => w.includes('Pushgateway'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/push of group job="stuck" .* failed: no answer within pushgateway\.timeoutMs \(300 ms\)/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('pushgateway options', () => {
  it.each([
    [{ url: 'ftp://x', job: 'a' }, 'Invalid option "pushgateway.url"'],
    [{ url: 'http://u:p@x:9091', job: 'a' }, 'credentials in the URL are not sent'],
    [{ url: 'http://x:9091', job: '' }, 'Invalid option "pushgateway.job"'],
    [{ url: 'http://x:9091', job: 'a', groupingKey: { job: 'b' } }, 'Invalid option "pushgateway.groupingKey.job"'],
    [{ url: 'http://x:9091', job: 'a', onShutdown: 'keep' }, 'Invalid option "pushgateway.onShutdown"'],
    [{ url: 'http://x:9091', job: 'a', intervalMs: -1 }, 'Invalid option "pushgateway.intervalMs"'],
    [{ url: 'http://x:9091', job: 'a', every: 1 }, 'Unknown option "pushgateway.every"'],
  ])('%j is refused at boot', async (pushgateway, message) => {
    await expect(batchApp(pushgateway as PushgatewayOptions)).rejects.toThrow(ObservabilityConfigError);
    await expect(batchApp(pushgateway as PushgatewayOptions)).rejects.toThrow(message);
  });
});
