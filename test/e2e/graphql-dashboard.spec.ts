/**
 * The dashboard's "GraphQL operations" row (deploy/grafana/dashboard.json) against a real Prometheus (Debian's
 * package, loopback, 1 s scrapes) scraping a real Apollo GraphQL app: every query of the row evaluates, returns
 * series, and names only scraped metrics. The sample serves no GraphQL, so test/e2e/prometheus-stack.spec.ts
 * leaves this row to this spec.
 */
import { INestApplication } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ObservabilityModule } from '../../lib';
import { createTestApp } from '../fixtures/create-test-app';
import { ordersGraphQLModule } from '../fixtures/graphql/orders-graphql.app';
import { PromSample, PrometheusServer, startPrometheus } from '../support/prometheus-server';
import { metricNames, substituteGrafanaVariables } from '../support/promql-names';

interface Panel {
  type: string;
  title: string;
  targets?: Array<{ expr?: string; refId: string }>;
  panels?: Panel[];
}

const dashboard = JSON.parse(readFileSync(join(__dirname, '../../deploy/grafana/dashboard.json'), 'utf8')) as { panels: Panel[] };

describe('deploy/grafana/dashboard.json: the GraphQL row, against a real Prometheus', () => {
  let app: INestApplication;
  let prometheus: PrometheusServer | undefined;
  let port: number;

  beforeAll(async () => {
    app = await createTestApp('express', { imports: [ObservabilityModule.forRoot({ metrics: { defaultLabels: { service: 'orders-graphql' } } }), ordersGraphQLModule('apollo')] });
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as { port: number }).port;
    prometheus = await startPrometheus(
      ['global:', '  scrape_interval: 1s', 'scrape_configs:', '  - job_name: orders-graphql', '    static_configs:', `      - targets: ['127.0.0.1:${port}']`, ''].join('\n'),
    );
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await app?.close();
  });

  it('every query of the row evaluates, returns series, and names only scraped metrics', async () => {
    const row = dashboard.panels.find((p) => p.type === 'row' && p.title === 'GraphQL operations')!;
    expect(row).toBeDefined();
    const queries = (row.panels ?? []).flatMap((panel) => (panel.targets ?? []).map((t) => ({ where: `${panel.title} / ${t.refId}`, expr: t.expr! })));
    expect(queries.length).toBe(3);
    const post = (query: string) =>
      fetch(`http://127.0.0.1:${port}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) }).then((r) => r.text());
    // Traffic across two scrapes, so that rate() has two points: successes and an error (errors[] with 200).
    await prometheus!.waitFor('graphql series scraped twice', async () => {
      await post('query OrderById { orderById(id: "1") { id } }');
      await post('query Broken { failing { id } }');
      const answer = await prometheus!.query('count_over_time(graphql_server_request_duration_seconds_count[1m])');
      const counts = (answer.data?.result as PromSample[] | undefined) ?? [];
      return counts.length >= 2 && counts.every((s) => Number(s.value[1]) >= 2);
    }, 30_000);
    const names = new Set((await prometheus!.api<string[]>('/api/v1/label/__name__/values')).data);
    const problems: string[] = [];
    for (const { where, expr } of queries) {
      const promql = substituteGrafanaVariables(expr);
      const unknown = metricNames(promql).filter((name) => !names.has(name));
      if (unknown.length) problems.push(`${where}: no such metric ${unknown.join(', ')}`);
      const answer = await prometheus!.query(promql);
      if (answer.status !== 'success') problems.push(`${where}: ${answer.errorType}: ${answer.error}`);
      else if ((answer.data.result as PromSample[]).length === 0) problems.push(`${where}: no series for ${promql}`);
    }
    expect(problems).toEqual([]);
    const ratio = await prometheus!.query(substituteGrafanaVariables(queries[1].expr));
    const byName = new Map((ratio.data.result as PromSample[]).map((s) => [s.metric.graphql_operation_name, Number(s.value[1])]));
    expect(byName.get('Broken')).toBe(1);
    expect(byName.get('OrderById')).toBe(0);
  }, 60_000);
});
