import { ExportFailureReporter } from '../../lib/tracing/sdk/export-failure.reporter';

describe('ExportFailureReporter', () => {
  const setup = () => {
    let now = 1_000_000;
    const infos: string[] = [];
    const warnings: string[] = [];
    const logger = { log: (m: string) => void infos.push(m), warn: (m: string) => void warnings.push(m) };
    const reporter = new ExportFailureReporter('metrics', 'http://collector:4318/v1/metrics', () => logger, 60_000, () => now);
    return { reporter, infos, warnings, advance: (ms: number) => void (now += ms) };
  };

  it('says the first failure at once, then at most one summary a minute, then the recovery once', () => {
    const { reporter, infos, warnings, advance } = setup();
    reporter.success();
    expect([...infos, ...warnings]).toEqual([]);
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:4318'), { code: 'ECONNREFUSED' });
    reporter.failure(refused, 10);
    expect(warnings).toEqual([expect.stringMatching(/^Exporting metrics to http:\/\/collector:4318\/v1\/metrics failed: connect ECONNREFUSED 10\.0\.0\.1:4318\. /)]);
    for (let i = 0; i < 5; i++) {
      advance(10_000);
      reporter.failure(refused, 10);
    }
    expect(warnings).toHaveLength(1); // 50 s: no summary yet
    advance(10_000);
    reporter.failure(new Error('Request timed out'), 7);
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toBe(
      'Exporting metrics to http://collector:4318/v1/metrics still fails: 6 failed export(s) (57 metrics lost) in the last 60 s; last error: Request timed out.',
    );
    advance(1_000);
    reporter.failure(refused, 1);
    expect(warnings).toHaveLength(2);
    reporter.success();
    reporter.success();
    expect(infos).toEqual(['Exporting metrics to http://collector:4318/v1/metrics works again, after 8 failed export(s) over 61 s (68 metrics lost).']);
    // A new outage is said at once again.
    reporter.failure(refused, 1);
    expect(warnings).toHaveLength(3);
  });

  it('keeps credentials of a URL out of the log', () => {
    const { reporter, warnings } = setup();
    reporter.failure(new Error('getaddrinfo ENOTFOUND for https://user:s3cret@collector.example/v1/metrics'), 1);
    expect(warnings[0]).not.toContain('s3cret');
    expect(warnings[0]).toContain('https://***@collector.example/v1/metrics');
  });
});
