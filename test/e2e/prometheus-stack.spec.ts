/**
 * The sample and deploy/ against the real thing: the built sample runs as two processes (orders, and the
 * pricing service it forks), both export spans to a local OTLP receiver, and a real Prometheus (Debian's
 * package, loopback, temporary folder, 1 s scrapes) scrapes both with deploy/prometheus.yml (targets and
 * intervals changed for the test) and deploy/alerts.yml. Every PromQL expression of the alert rules and of
 * the Grafana dashboard is evaluated by that Prometheus; promtool checks the config and unit-tests the rules.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OTLP_SPAN_KIND, OtlpReceiver, ReceivedSpan, startOtlpReceiver } from '../support/otlp-receiver';
import { PromRule, PromSample, PrometheusServer, promtool, startPrometheus } from '../support/prometheus-server';
import { metricNames, substituteGrafanaVariables } from '../support/promql-names';
import { buildSample, freePort, isRunning, repoTempDir, ROOT, SampleProcess } from '../support/sample-process';
import { io, Socket } from 'socket.io-client';

const DEPLOY = join(ROOT, 'deploy');
const ALERTS = ['HealthReadinessFailing', 'HttpDependencyHighErrorRatio', 'HttpHighErrorRatio', 'HttpHighLatencyP95', 'ScheduledJobFailing', 'ScheduledJobStopped', 'TargetDown', 'WebSocketHandlerHighErrorRatio'];

/** Replaces `search` in `text`, which must occur exactly once (so a reshaped deploy file fails loudly). */
function replaceOnce(text: string, search: string | RegExp, replacement: string): string {
  const count = typeof search === 'string' ? text.split(search).length - 1 : [...text.matchAll(new RegExp(search.source, `${search.flags.replace('g', '')}g`))].length;
  if (count !== 1) throw new Error(`expected exactly one ${String(search)} in the file, found ${count}`);
  return text.replace(search, replacement);
}

/** The scrape token of deploy/ (docker-compose and the Kubernetes Secret use the same demo value). */
const DEMO_TOKEN = readFileSync(join(DEPLOY, 'metrics-token'), 'utf8').trim();

/**
 * deploy/prometheus.yml for this machine: the sample's real ports, 1 s intervals, alerts.yml by absolute
 * path, and the scrape token from `tokenFile` (both jobs).
 */
function localPrometheusConfig(ordersPort: number, pricingPort: number, tokenFile: string): string {
  let text = readFileSync(join(DEPLOY, 'prometheus.yml'), 'utf8');
  const jobs = text.split('credentials_file: metrics-token').length - 1;
  if (jobs !== 2) throw new Error(`expected both scrape jobs to read credentials_file: metrics-token, found ${jobs}`);
  text = text.replaceAll('credentials_file: metrics-token', `credentials_file: ${tokenFile}`);
  text = replaceOnce(text, "'sample:3000'", `'127.0.0.1:${ordersPort}'`);
  text = replaceOnce(text, "'sample:3001'", `'127.0.0.1:${pricingPort}'`);
  text = replaceOnce(text, /scrape_interval: 15s/, 'scrape_interval: 1s');
  text = replaceOnce(text, /evaluation_interval: 15s/, 'evaluation_interval: 1s');
  text = replaceOnce(text, /^( *)- alerts\.yml$/m, `$1- ${join(DEPLOY, 'alerts.yml')}`);
  return text;
}

interface GrafanaPanel {
  type: string;
  title: string;
  targets?: Array<{ expr?: string; refId: string }>;
  panels?: GrafanaPanel[];
}

/** Collapsed rows whose metrics the sample does not serve, each evaluated by a real Prometheus in its own spec. */
const ROWS_TESTED_ELSEWHERE = new Set(['GraphQL operations' /* test/e2e/graphql-dashboard.spec.ts */]);

/** Every PromQL query of the dashboard's panels (rows included), as `panel / refId → expr`. */
function dashboardQueries(dashboard: { panels: GrafanaPanel[] }): Array<{ where: string; expr: string }> {
  const out: Array<{ where: string; expr: string }> = [];
  const visit = (panels: GrafanaPanel[]) => {
    for (const panel of panels) {
      if (panel.type === 'row' && ROWS_TESTED_ELSEWHERE.has(panel.title)) continue;
      for (const target of panel.targets ?? []) if (target.expr) out.push({ where: `${panel.title} / ${target.refId}`, expr: target.expr });
      visit(panel.panels ?? []);
    }
  };
  visit(dashboard.panels);
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The repo's version, which the sample reports as its own (`version` label, `service.version`). */
const PACKAGE_VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('the sample scraped by a real Prometheus, with deploy/ rules and dashboard', () => {
  let buildDir: string;
  let receiver: OtlpReceiver;
  let sample: SampleProcess | undefined;
  let prometheus: PrometheusServer | undefined;
  let base: string;
  let pricingBase: string;
  let pricingPid: number | undefined;
  /** Every metric name Prometheus holds, once traffic was scraped. */
  let scrapedNames: Set<string>;
  const TOKEN = 'e2e-scrape-token';
  let tokenFile: string;

  const post = (path: string, body: unknown) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  /** A socket.io client of the sample's gateway, connected for the whole run (the open-connections gauge). */
  let feed: Socket | undefined;
  const watch = (orderId: string) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000);
      const done = () => (clearTimeout(timer), feed!.off('watching', done).off('exception', done), resolve());
      feed!.once('watching', done).once('exception', done).emit('watch', orderId);
    });

  /** A burst of every kind of request: creates (which call pricing), reads, a 404, a failure, health probes, gateway messages. */
  async function traffic(round: number): Promise<void> {
    for (let i = 0; i < 3; i++) await watch(String(round + i + 1));
    await watch(''); // a WsException: an error of the handler
    const created = (await (await post('/orders', { item: round % 2 ? 'book' : 'lamp', quantity: round + 1 })).json()) as { id: string };
    for (let i = 0; i < 5; i++) expect((await fetch(`${base}/orders/${created.id}`)).status).toBe(200);
    expect((await fetch(`${base}/orders/999999`)).status).toBe(404);
    expect((await fetch(`${base}/orders/fail`)).status).toBe(500);
    expect((await fetch(`${base}/orders/slow?ms=30`)).status).toBe(200);
    for (const probe of ['live', 'ready', 'startup']) {
      expect((await fetch(`${base}/health/${probe}`)).status).toBe(200);
      expect((await fetch(`${pricingBase}/health/${probe}`)).status).toBe(200);
    }
  }

  beforeAll(async () => {
    buildDir = repoTempDir('prometheus-stack');
    const mainJs = buildSample(buildDir);
    receiver = await startOtlpReceiver();
    const [port, pricingPort] = [await freePort(), await freePort()];
    base = `http://127.0.0.1:${port}`;
    pricingBase = `http://127.0.0.1:${pricingPort}`;
    // /metrics of both processes requires the token; Prometheus reads it from a file, as in deploy/.
    tokenFile = join(buildDir, 'metrics-token');
    writeFileSync(tokenFile, `${TOKEN}\n`);
    sample = new SampleProcess(mainJs, {
      METRICS_TOKEN: TOKEN,
      PORT: String(port),
      PRICING_PORT: String(pricingPort),
      DRAIN_DELAY_MS: '200',
      // The sample's background job runs within the scrapes, so its last-success gauge is there too.
      ORDERS_AUDIT_INTERVAL_MS: '500',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_BSP_SCHEDULE_DELAY: '200',
      // A small young generation, so that both processes collect garbage within these few seconds and
      // the GC histogram that the dashboard charts has series (fork() passes it on to the pricing process).
      NODE_OPTIONS: '--max-semi-space-size=1',
    });
    await sample.listening();
    feed = io(base, { transports: ['websocket'], forceNew: true });
    await new Promise<void>((resolve, reject) => feed!.once('connect', () => resolve()).once('connect_error', reject));
    const live = (await (await fetch(`${base}/health/live`)).json()) as { details: Record<string, { pid?: number }> };
    pricingPid = live.details['pricing-process']?.pid;

    prometheus = await startPrometheus(localPrometheusConfig(port, pricingPort, tokenFile), ['--enable-feature=exemplar-storage']);
    // Traffic in bursts across several scrapes, so that rate() sees increases.
    await prometheus.waitFor('a first scrape of the sample', async () => ((await prometheus!.query('up{job="orders-sample"} == 1')).data.result as PromSample[]).length > 0);
    for (let round = 0; round < 3; round++) {
      await traffic(round);
      await sleep(1100);
    }
    await sleep(1200);
    const names = await prometheus.api<string[]>('/api/v1/label/__name__/values');
    scrapedNames = new Set(names.data);
  }, 90_000);

  afterAll(async () => {
    feed?.disconnect();
    await prometheus?.stop();
    if (sample?.running) await sample.stop();
    // The pricing process exits with the orders process; make sure of it even if a test failed midway.
    if (pricingPid !== undefined && isRunning(pricingPid)) process.kill(pricingPid, 'SIGKILL');
    await receiver?.close();
    if (buildDir) rmSync(buildDir, { recursive: true, force: true });
  }, 30_000);

  it('one trace crosses both processes: the pricing server span is a child of the orders client span', async () => {
    const created = await post('/orders', { item: 'pen', quantity: 3 });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ item: 'pen', quantity: 3, unitPriceCents: 150, currency: 'EUR' });

    const service = (span: ReceivedSpan) => span.resource['service.name'];
    const pricingServer = await waitForSpan(
      receiver,
      (s) => s.name === 'GET /prices/:item' && service(s) === 'pricing-sample' && s.attributes['url.path'] === '/prices/pen',
    );
    const trace = await waitForSpan(receiver, (s) => s.traceId === pricingServer.traceId && s.name === 'POST /orders').then(() =>
      receiver.spans.filter((s) => s.traceId === pricingServer.traceId),
    );
    const ordersSpans = trace.filter((s) => service(s) === 'orders-sample');
    const root = ordersSpans.find((s) => s.name === 'POST /orders')!;
    expect(root.parentSpanId).toBe('');
    expect(root.kind).toBe(OTLP_SPAN_KIND.SPAN_KIND_SERVER);
    // service.version comes from the package.json, not npm_package_version (unset: `node main.js` as in the Dockerfile).
    expect(root.resource['service.version']).toBe(PACKAGE_VERSION);

    // The pricing server span's parent is the orders process's client span (httpClient), in the same trace.
    const client = ordersSpans.find((s) => s.spanId === pricingServer.parentSpanId);
    expect(client).toMatchObject({ name: 'GET /prices/{item}', kind: OTLP_SPAN_KIND.SPAN_KIND_CLIENT });
    expect(client!.attributes).toMatchObject({ 'http.request.method': 'GET', 'server.address': '127.0.0.1', 'url.template': '/prices/{item}', 'http.response.status_code': 200 });
    expect(pricingServer.kind).toBe(OTLP_SPAN_KIND.SPAN_KIND_SERVER);
    expect(pricingServer.resource['process.pid']).not.toBe(root.resource['process.pid']);
    // …whose chain of parents leads to the orders server span: POST /orders → OrdersService.create → PricingClient.quote → GET /prices/{item}.
    const parent = ordersSpans.find((s) => s.spanId === client!.parentSpanId);
    expect(parent).toMatchObject({ name: 'PricingClient.quote', kind: OTLP_SPAN_KIND.SPAN_KIND_INTERNAL });
    const create = ordersSpans.find((s) => s.spanId === parent!.parentSpanId);
    expect(create?.name).toBe('OrdersService.create');
    expect(create?.parentSpanId).toBe(root.spanId);
    // And the pricing service's own @Traced span hangs below its server span.
    expect(trace.find((s) => s.name === 'PricingService.quote')?.parentSpanId).toBe(pricingServer.spanId);
  });

  it('/metrics of both processes answers 401 without the token that Prometheus sends, and the probes need none', async () => {
    for (const url of [base, pricingBase]) {
      const denied = await fetch(`${url}/metrics`);
      expect({ url, status: denied.status, challenge: denied.headers.get('www-authenticate') }).toEqual({ url, status: 401, challenge: 'Bearer realm="metrics"' });
      expect((await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
      expect((await fetch(`${url}/health/ready`)).status).toBe(200);
    }
  });

  it('Prometheus scrapes both processes: targets up, /orders/:id histogram, rate(), histogram_quantile(), health gauge', async () => {
    const p = prometheus!;
    const targets = await p.api<{ activeTargets: Array<{ labels: Record<string, string>; health: string; lastError: string }> }>('/api/v1/targets');
    const health = Object.fromEntries(targets.data.activeTargets.map((t) => [t.labels.job, `${t.health}${t.lastError ? `: ${t.lastError}` : ''}`]));
    expect(health).toEqual({ 'orders-sample': 'up', 'pricing-sample': 'up' });

    const vector = async (expr: string) => {
      const answer = await p.query(expr);
      expect({ expr, status: answer.status, error: answer.error }).toEqual({ expr, status: 'success', error: undefined });
      return answer.data.result as PromSample[];
    };
    const buckets = await vector('http_server_request_duration_seconds_bucket{http_route="/orders/:id", http_request_method="GET", http_response_status_code="200"}');
    expect(buckets.length).toBeGreaterThanOrEqual(15); // 14 buckets + le="+Inf"
    expect(buckets[0].metric).toMatchObject({ job: 'orders-sample', service: 'orders-sample', version: PACKAGE_VERSION });

    const rates = await vector('sum by (http_route) (rate(http_server_request_duration_seconds_count{job="orders-sample"}[1m]))');
    const rateOf = (route: string) => Number(rates.find((r) => r.metric.http_route === route)?.value[1]);
    expect(rateOf('/orders/:id')).toBeGreaterThan(0);
    expect(rateOf('/orders/fail')).toBeGreaterThan(0);

    const p95 = await vector('histogram_quantile(0.95, sum by (le, http_route) (rate(http_server_request_duration_seconds_bucket{job="orders-sample"}[1m])))');
    const p95OfGet = Number(p95.find((r) => r.metric.http_route === '/orders/:id')?.value[1]);
    expect(Number.isFinite(p95OfGet)).toBe(true);
    expect(p95OfGet).toBeGreaterThan(0);
    expect(p95OfGet).toBeLessThanOrEqual(10);

    const pricingRate = await vector('sum(rate(http_server_request_duration_seconds_count{job="pricing-sample", http_route="/prices/:item"}[1m]))');
    expect(Number(pricingRate[0]?.value[1])).toBeGreaterThan(0);
    // The orders service's calls to pricing, seen from its side (httpClient), one series per template.
    const calls = await vector('sum by (server_address, url_template, http_response_status_code) (http_client_request_duration_seconds_count{job="orders-sample"})');
    expect(calls.map((c) => c.metric)).toEqual([{ server_address: '127.0.0.1', url_template: '/prices/{item}', http_response_status_code: '200' }]);
    // …as many as the pricing service counted itself, once both scrapes are past the last call.
    const counts = 'sum(http_client_request_duration_seconds_count{job="orders-sample"}) - sum(http_server_request_duration_seconds_count{job="pricing-sample", http_route="/prices/:item"})';
    await p.waitFor('equal client and server counts', async () => ((await vector(counts))[0]?.value[1] === '0' ? true : undefined));

    const gauges = await vector('health_indicator_status');
    const gauge = (job: string, probe: string, indicator: string) =>
      gauges.find((g) => g.metric.job === job && g.metric.probe === probe && g.metric.indicator === indicator)?.value[1];
    expect(gauge('orders-sample', 'readiness', 'orders-store')).toBe('1');
    expect(gauge('orders-sample', 'liveness', 'pricing-process')).toBe('1');
    expect(gauge('pricing-sample', 'readiness', 'shutdown')).toBe('1');
  });

  it('stores exemplars whose trace ids are traces that the OTLP receiver got', async () => {
    const now = Date.now() / 1000;
    const answer = await prometheus!.api<Array<{ seriesLabels: Record<string, string>; exemplars: Array<{ labels: Record<string, string> }> }>>(
      '/api/v1/query_exemplars',
      { query: 'http_server_request_duration_seconds_bucket{job="orders-sample", http_route="/orders/:id"}', start: String(now - 300), end: String(now) },
    );
    expect(answer.status).toBe('success');
    const traceIds = answer.data.flatMap((series) => series.exemplars.map((e) => e.labels.trace_id));
    expect(traceIds.length).toBeGreaterThan(0);
    const received = new Set(receiver.spans.filter((s) => s.name === 'GET /orders/:id').map((s) => s.traceId));
    expect(traceIds.some((id) => received.has(id))).toBe(true);
  });

  it('deploy/alerts.yml: every rule loads and evaluates without error, on metric names the sample exports', async () => {
    const p = prometheus!;
    const rules = await p.waitFor('every rule to be evaluated once', async () => {
      const answer = await p.api<{ groups: Array<{ rules: PromRule[] }> }>('/api/v1/rules');
      const all = answer.data.groups.flatMap((g) => g.rules);
      return all.length > 0 && all.every((r) => r.health !== 'unknown') ? all : undefined;
    });
    expect(rules.map((r) => r.name).sort()).toEqual(ALERTS);
    for (const rule of rules) {
      expect({ rule: rule.name, health: rule.health, lastError: rule.lastError ?? '' }).toEqual({ rule: rule.name, health: 'ok', lastError: '' });
      const answer = await p.query(rule.query);
      expect({ rule: rule.name, status: answer.status, error: answer.error }).toEqual({ rule: rule.name, status: 'success', error: undefined });
      const unknown = metricNames(rule.query).filter((name) => !scrapedNames.has(name));
      expect({ rule: rule.name, unknownMetricNames: unknown }).toEqual({ rule: rule.name, unknownMetricNames: [] });
    }
    // Both targets are up and ready, the sample's job succeeds: these are quiet. (The traffic is 11% failures on purpose, which
    // only the error-ratio alert's minimum request rate keeps quiet, so that one is not asserted here.)
    const state = (name: string) => rules.find((r) => r.name === name)?.state;
    const quiet = ['TargetDown', 'HealthReadinessFailing', 'ScheduledJobStopped', 'ScheduledJobFailing'];
    expect(Object.fromEntries(quiet.map((name) => [name, state(name)]))).toEqual(Object.fromEntries(quiet.map((name) => [name, 'inactive'])));
  });

  it('HealthReadinessFailing matches the real health gauge: pending as soon as the order store is down', async () => {
    const p = prometheus!;
    expect((await post('/orders/store/down', {})).status).toBe(200);
    try {
      expect((await fetch(`${base}/health/ready`)).status).toBe(503);
      const alert = await p.waitFor('HealthReadinessFailing to be pending', async () => {
        const answer = await p.api<{ alerts: Array<{ labels: Record<string, string>; state: string }> }>('/api/v1/alerts');
        return answer.data.alerts.find((a) => a.labels.alertname === 'HealthReadinessFailing');
      });
      expect(alert).toMatchObject({ state: 'pending', labels: { job: 'orders-sample', service: 'orders-sample', indicator: 'orders-store', severity: 'warning' } });
    } finally {
      await post('/orders/store/up', {});
      await fetch(`${base}/health/ready`);
    }
  });

  it('deploy/grafana/dashboard.json: every query evaluates without error, returns series, and names only scraped metrics', async () => {
    const dashboard = JSON.parse(readFileSync(join(DEPLOY, 'grafana', 'dashboard.json'), 'utf8'));
    const queries = dashboardQueries(dashboard);
    expect(queries.length).toBeGreaterThanOrEqual(20);
    const problems: string[] = [];
    for (const { where, expr } of queries) {
      const promql = substituteGrafanaVariables(expr);
      if (promql.includes('$')) problems.push(`${where}: unknown Grafana variable in ${expr}`);
      const unknown = metricNames(promql).filter((name) => !scrapedNames.has(name));
      if (unknown.length) problems.push(`${where}: no such metric ${unknown.join(', ')}`);
      const answer = await prometheus!.query(promql);
      if (answer.status !== 'success') problems.push(`${where}: ${answer.errorType}: ${answer.error}`);
      else if ((answer.data.result as PromSample[]).length === 0) problems.push(`${where}: no series for ${promql}`);
    }
    // Template variables: label_values(<selector>, <label>) must find values too.
    for (const variable of dashboard.templating.list as Array<{ name: string; type: string; definition?: string }>) {
      if (variable.type !== 'query') continue;
      const match = /^label_values\((.+),\s*([a-zA-Z_]\w*)\)$/.exec(variable.definition ?? '');
      if (!match) {
        problems.push(`variable ${variable.name}: not a label_values() query: ${variable.definition}`);
        continue;
      }
      const selector = substituteGrafanaVariables(match[1]);
      const unknown = metricNames(selector).filter((name) => !scrapedNames.has(name));
      if (unknown.length) problems.push(`variable ${variable.name}: no such metric ${unknown.join(', ')}`);
      const answer = await prometheus!.query(`count by (${match[2]}) (${selector})`);
      if (answer.status !== 'success' || (answer.data.result as PromSample[]).length === 0) problems.push(`variable ${variable.name}: no values of ${match[2]}`);
    }
    expect(problems).toEqual([]);
  });

  it('the metric-name check is real: a typo in a dashboard expression is caught', () => {
    const expr = 'histogram_quantile(0.95, sum by (le, http_route) (rate(http_server_request_duration_seconds_bucket{service=~"$service", http_route!="x(y)"}[$__rate_interval]))) > 1e3 and on (job) up offset 5m';
    expect(metricNames(substituteGrafanaVariables(expr)).sort()).toEqual(['http_server_request_duration_seconds_bucket', 'up']);
    const typo = expr.replace('http_server_request_duration_seconds_bucket', 'http_server_request_duration_second_bucket');
    expect(metricNames(substituteGrafanaVariables(typo)).filter((name) => !scrapedNames.has(name))).toEqual(['http_server_request_duration_second_bucket']);
  });

  it('SIGTERM stops both processes: the orders process exits 0 and takes the pricing process with it', async () => {
    expect(pricingPid).toBeDefined();
    expect(isRunning(pricingPid!)).toBe(true);
    const exit = await sample!.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    for (let i = 0; i < 20 && isRunning(pricingPid!); i++) await sleep(100);
    expect(isRunning(pricingPid!)).toBe(false);
    expect(sample!.output).toMatch(/\[Pricing\].*SIGTERM: readiness reports 503; draining for 0 ms/);
  });
});

describe('promtool on deploy/', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'promtool-deploy-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('check config: deploy/prometheus.yml, and a copy of it with the rules by absolute path', () => {
    const asIs = promtool(['check', 'config', join(DEPLOY, 'prometheus.yml')]);
    expect(asIs.output).toContain('SUCCESS: 8 rules found');
    expect(asIs.status).toBe(0);
    const copy = join(dir, 'prometheus.yml');
    const token = join(dir, 'token');
    writeFileSync(token, 'x\n');
    writeFileSync(copy, localPrometheusConfig(3000, 3001, token));
    const checked = promtool(['check', 'config', copy]);
    expect(checked.output).toContain('SUCCESS: 8 rules found');
    expect(checked.status).toBe(0);
  });

  it('check rules deploy/alerts.yml', () => {
    const { status, output } = promtool(['check', 'rules', join(DEPLOY, 'alerts.yml')]);
    expect(output).toContain('SUCCESS: 8 rules found');
    expect(status).toBe(0);
  });

  it('test rules deploy/alerts.test.yml: every alert fires when it should and stays quiet when it should not', () => {
    const tests = readFileSync(join(DEPLOY, 'alerts.test.yml'), 'utf8');
    // Each alert has at least one "fires" and one "quiet" case.
    for (const alert of ALERTS) {
      const cases = tests.split(/\n {2}- name: /).filter((block) => block.includes(`alertname: ${alert}\n`));
      expect({ alert, fires: cases.some((c) => /exp_alerts:\n\s+- exp_labels:/.test(c)), quiet: cases.some((c) => c.includes('exp_alerts: []')) }).toEqual({ alert, fires: true, quiet: true });
    }
    const { status, output } = promtool(['test', 'rules', join(DEPLOY, 'alerts.test.yml')]);
    expect(output).toContain('SUCCESS');
    expect(status).toBe(0);
  });

  it('the rule tests can fail: a copy expecting a quiet alert to fire, or a firing one to be quiet, exits non-zero', () => {
    copyFileSync(join(DEPLOY, 'alerts.yml'), join(dir, 'alerts.yml'));
    const tests = readFileSync(join(DEPLOY, 'alerts.test.yml'), 'utf8');
    const mutants = {
      'quiet expected to fire': replaceFirst(tests, /^( *)exp_alerts: \[\]$/m, '$1exp_alerts:\n$1  - exp_labels: { severity: critical }'),
      'firing expected to be quiet': replaceFirst(tests, /^( *)exp_alerts:\n +- exp_labels:\n(?:\1 +.*\n)+/m, '$1exp_alerts: []\n'),
    };
    for (const [name, text] of Object.entries(mutants)) {
      expect(text).not.toBe(tests);
      const file = join(dir, `${name.replace(/\W+/g, '-')}.test.yml`);
      writeFileSync(file, text);
      const { status, output } = promtool(['test', 'rules', file]);
      expect({ name, failed: status !== 0 && output.includes('FAILED') }).toEqual({ name, failed: true });
    }
  });
});

describe('deploy/k8s and docker-compose: shutdown timing and probes match the sample', () => {
  /** The longest request the sample serves: /orders/slow waits at most this long. */
  const LONGEST_REQUEST_S = 30;
  const deployment = readFileSync(join(DEPLOY, 'k8s', 'deployment.yaml'), 'utf8');

  it('terminationGracePeriodSeconds covers the drain, the shutdown timeout (above the longest request) and the span flush', () => {
    const controller = readFileSync(join(ROOT, 'sample', 'orders', 'orders.controller.ts'), 'utf8');
    expect(controller).toContain(`Math.min(Number(ms) || 0, ${LONGEST_REQUEST_S}_000)`);
    const drainMs = Number(/name: DRAIN_DELAY_MS\s+value: "(\d+)"/.exec(deployment)?.[1]);
    const shutdownTimeoutMs = Number(/name: SHUTDOWN_TIMEOUT_MS\s+value: "(\d+)"/.exec(deployment)?.[1]);
    const grace = Number(/terminationGracePeriodSeconds: (\d+)/.exec(deployment)?.[1]);
    const FLUSH_TIMEOUT_S = 3; // tracing.flushTimeoutMs' default; the sample does not change it
    expect(drainMs).toBeGreaterThan(0);
    expect(shutdownTimeoutMs).toBeGreaterThan(LONGEST_REQUEST_S * 1000);
    expect(grace).toBeGreaterThan(drainMs / 1000 + shutdownTimeoutMs / 1000 + FLUSH_TIMEOUT_S);
    const compose = readFileSync(join(DEPLOY, 'docker-compose.yml'), 'utf8');
    expect(Number(/DRAIN_DELAY_MS: "(\d+)"/.exec(compose)?.[1])).toBe(drainMs);
    expect(Number(/SHUTDOWN_TIMEOUT_MS: "(\d+)"/.exec(compose)?.[1])).toBe(shutdownTimeoutMs);
    expect(Number(/stop_grace_period: (\d+)s/.exec(compose)?.[1])).toBe(grace);
  });

  it('the scrape token: one Secret that the pods and the ServiceMonitor read, and one demo value for docker-compose', () => {
    const secret = readFileSync(join(DEPLOY, 'k8s', 'metrics-token.secret.yaml'), 'utf8');
    const name = /^kind: Secret\nmetadata:\n  name: (\S+)$/m.exec(secret)?.[1];
    expect(name).toBe('orders-sample-metrics');
    expect(/^  token: (\S+)$/m.exec(secret)?.[1]).toBe(DEMO_TOKEN);
    expect(deployment).toMatch(new RegExp(`- name: METRICS_TOKEN\\n\\s+valueFrom:\\n\\s+secretKeyRef:\\n\\s+name: ${name}\\n\\s+key: token\\n`));
    const monitor = readFileSync(join(DEPLOY, 'k8s', 'servicemonitor.yaml'), 'utf8');
    const endpoints = monitor.split('    - port: ').slice(1);
    expect(endpoints).toHaveLength(2);
    for (const endpoint of endpoints) {
      expect(endpoint).toMatch(new RegExp(`authorization:\\n\\s+type: Bearer\\n\\s+credentials:\\n\\s+name: ${name}\\n\\s+key: token\\n`));
    }
    expect(readFileSync(join(DEPLOY, 'k8s', 'kustomization.yaml'), 'utf8')).toContain('- metrics-token.secret.yaml');
    const compose = readFileSync(join(DEPLOY, 'docker-compose.yml'), 'utf8');
    expect(/METRICS_TOKEN: (\S+)/.exec(compose)?.[1]).toBe(DEMO_TOKEN);
    expect(compose).toContain('- ./metrics-token:/etc/prometheus/metrics-token:ro');
  });

  it('the startup, liveness and readiness probes use the three health paths on the http port', () => {
    for (const [probe, path] of [['startupProbe', '/health/startup'], ['livenessProbe', '/health/live'], ['readinessProbe', '/health/ready']]) {
      expect(deployment).toMatch(new RegExp(`${probe}:\\n(?:\\s+#.*\\n)*\\s+httpGet:\\n\\s+path: ${path}\\n\\s+port: http\\n`));
    }
  });
});

function replaceFirst(text: string, search: RegExp, replacement: string): string {
  return text.replace(search, replacement);
}

async function waitForSpan(receiver: OtlpReceiver, predicate: (span: ReceivedSpan) => boolean, timeoutMs = 10_000): Promise<ReceivedSpan> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = receiver.spans.find(predicate);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no such span among ${receiver.spans.length}: ${receiver.spans.map((s) => `${s.resource['service.name']} ${s.name}`).join(', ')}`);
    await sleep(50);
  }
}
