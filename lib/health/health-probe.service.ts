import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit, Type } from '@nestjs/common';
import { DiscoveryService, ModuleRef, ModulesContainer } from '@nestjs/core';
import { HealthCheckResult, HealthCheckService, HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { Counter, Gauge, Histogram } from 'prom-client';
import { HEALTH_INDICATOR_METADATA, OBSERVABILITY_RESOLVED_OPTIONS } from '../observability.constants';
import { ObservabilityConfigError } from '../observability-config.error';
import { HealthIndicatorDefinition, HealthProbe, ResolvedObservabilityOptions } from '../observability-options.interface';
import { MetricsService } from '../metrics/metrics.service';
import { ClusterMetricsService } from '../cluster/cluster-metrics.service';
import { errorMessage, runCheck } from './health-check.runner';
import { HealthIndicatorMetadata } from './health-indicator.decorator';
import { HealthCheckOutcome } from './health-indicator.interface';
import { toJsonSafeDetails } from './json-safe-details';
import { EventLoopDelayWindow } from './event-loop-delay.window';
import { capProbeBody } from './probe-body.cap';
import { redactSecrets } from '../redaction/secret-redaction';

/** One indicator, ready to run. */
interface RegisteredIndicator {
  name: string;
  probes: HealthProbe[];
  timeoutMs: number;
  check: (signal: AbortSignal) => unknown;
  /** When each check that timed out and is still running timed out (Date.now()), oldest first. */
  abandoned?: number[];
  /** Whether the log already said that this indicator's details had to be replaced. */
  replacementLogged?: boolean;
}

/** A probe's answer: HTTP status and Terminus-format body. */
export interface ProbeReport {
  httpStatus: 200 | 503;
  body: HealthCheckResult | { status: HealthCheckResult['status'] };
}

/**
 * Runs the liveness, readiness and startup probes on Terminus' `HealthCheckService`: each indicator
 * under its timeout and the probe's deadline, errors turned into `down` (503, never 500, no stack),
 * concurrent requests sharing the run in flight, results optionally cached, states exported as metrics
 * and changes logged once.
 */
@Injectable()
export class HealthProbeService implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('ObservabilityModule');
  private readonly indicators: RegisteredIndicator[] = [];
  private readonly inFlight = new Map<HealthProbe, Promise<ProbeReport>>();
  private readonly cache = new Map<HealthProbe, { report: ProbeReport; expiresAt: number }>();
  private readonly lastStatus = new Map<string, 'up' | 'down'>();
  // Created only when the liveness threshold asks for it: a delay monitor is a process resource.
  private loopDelay: EventLoopDelayWindow | null = null;
  private statusGauge: Gauge | null = null;
  private durationHistogram: Histogram | null = null;
  private abandonedGauge: Gauge | null = null;
  private abandonedCounter: Counter | null = null;
  private bootstrapped = false;
  private shuttingDown = false;
  private bodyCapLogged = false;
  /** Instances of the discovered indicator classes, so that a rescan registers each once. */
  private readonly discovered = new WeakSet<object>();
  private knownModules = 0;

  constructor(
    @Inject(OBSERVABILITY_RESOLVED_OPTIONS) private readonly options: ResolvedObservabilityOptions,
    private readonly healthCheck: HealthCheckService,
    private readonly indicatorService: HealthIndicatorService,
    private readonly discovery: DiscoveryService,
    private readonly moduleRef: ModuleRef,
    private readonly modules: ModulesContainer,
    private readonly metrics: MetricsService,
    private readonly cluster: ClusterMetricsService,
  ) {}

  async onModuleInit(): Promise<void> {
    const health = this.options.health;
    if (!health.enabled) return;
    if (health.liveness.maxEventLoopDelayMs !== null) {
      this.loopDelay = new EventLoopDelayWindow(health.liveness.eventLoopWindowMs);
      this.loopDelay.start();
    }
    this.indicators.push(...this.builtInIndicators());
    this.indicators.push(...this.discoverIndicators());
    for (const indicator of health.indicators) {
      if (typeof indicator === 'function') {
        const metadata: HealthIndicatorMetadata | undefined = Reflect.getMetadata(HEALTH_INDICATOR_METADATA, indicator);
        if (!metadata) {
          throw new ObservabilityConfigError(`health.indicators: ${indicator.name} has no @HealthIndicator(name) decorator, so it has no name and no probes.`);
        }
        const instance = await this.resolveProvider(indicator, `health.indicators: ${indicator.name}`);
        this.indicators.push(this.fromInstance(metadata, instance, indicator.name));
      } else {
        this.indicators.push(await this.fromDefinition(indicator));
      }
    }
    const names = new Set<string>();
    for (const { name, probes } of this.indicators) {
      for (const probe of probes) {
        if (names.has(`${probe}:${name}`)) throw new ObservabilityConfigError(`Two health indicators are named "${name}" in the ${probe} probe; give each a distinct name.`);
        names.add(`${probe}:${name}`);
      }
    }
    if (this.options.metrics.enabled) {
      this.statusGauge = this.metrics.gauge({ name: 'health_indicator_status', help: 'Health indicator state by probe: 1 up, 0 down.', labelNames: ['indicator', 'probe'] });
      this.durationHistogram = this.metrics.histogram({
        name: 'health_check_duration_seconds',
        help: 'Duration of health indicator checks in seconds.',
        labelNames: ['indicator', 'probe'],
        buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      });
      this.abandonedGauge = this.metrics.gauge({
        name: 'health_checks_abandoned_running',
        help: 'Health checks that outlived their timeout and are still running (they ignore their AbortSignal).',
        labelNames: ['indicator'],
      });
      this.abandonedCounter = this.metrics.counter({
        name: 'health_checks_abandoned_total',
        help: 'Health checks that outlived their timeout and were left running.',
        labelNames: ['indicator'],
      });
    }
  }

  onApplicationBootstrap(): void {
    this.bootstrapped = true;
  }

  onModuleDestroy(): void {
    this.loopDelay?.stop();
    this.loopDelay = null;
  }

  /** From now on readiness answers 503 (graceful shutdown). */
  markShuttingDown(): void {
    this.shuttingDown = true;
    this.cache.clear();
  }

  /** Whether readiness is failing because the app is shutting down. */
  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Names of the indicators a probe runs, built-in ones included. */
  indicatorNames(probe: HealthProbe): string[] {
    return this.indicators.filter((i) => i.probes.includes(probe)).map((i) => i.name);
  }

  /** Runs a probe, or joins the run in flight, or answers from the cache. */
  run(probe: HealthProbe): Promise<ProbeReport> {
    this.adoptLazyIndicators();
    const cached = this.cache.get(probe);
    if (cached && cached.expiresAt > Date.now()) return Promise.resolve(cached.report);
    let running = this.inFlight.get(probe);
    if (!running) {
      running = this.execute(probe).finally(() => this.inFlight.delete(probe));
      this.inFlight.set(probe, running);
    }
    return running;
  }

  private async execute(probe: HealthProbe): Promise<ProbeReport> {
    const { deadlineMs, cacheTtlMs, details } = this.options.health;
    const deadline = Date.now() + deadlineMs;
    const checks = this.indicators
      .filter((indicator) => indicator.probes.includes(probe))
      .map((indicator) => () => this.runIndicator(indicator, probe, Math.max(1, Math.min(indicator.timeoutMs, deadline - Date.now()))));
    let report: ProbeReport;
    try {
      const result = await this.healthCheck.check(checks);
      report = { httpStatus: 200, body: result };
    } catch (error) {
      const response = (error as { getResponse?: () => unknown }).getResponse?.();
      report = { httpStatus: 503, body: (response ?? { status: 'error' }) as HealthCheckResult };
    }
    if (details === 'never') report = { httpStatus: report.httpStatus, body: { status: report.body.status } };
    report = this.capped(probe, report);
    if (cacheTtlMs > 0) this.cache.set(probe, { report, expiresAt: Date.now() + cacheTtlMs });
    return report;
  }

  /**
   * `@HealthIndicator` providers of the modules in the container, not yet registered (the first call
   * finds them all; later ones, those of modules loaded since with `LazyModuleLoader`).
   */
  private discoverIndicators(): RegisteredIndicator[] {
    this.knownModules = this.modules.size;
    const found: RegisteredIndicator[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const metatype = wrapper.metatype as Type<unknown> | null;
      const metadata: HealthIndicatorMetadata | undefined = metatype && Reflect.getMetadata(HEALTH_INDICATOR_METADATA, metatype);
      if (!metadata || !wrapper.instance || this.options.health.indicators.includes(metatype!) || this.discovered.has(wrapper.instance)) continue;
      this.discovered.add(wrapper.instance);
      found.push(this.fromInstance(metadata, wrapper.instance, metatype!.name));
    }
    return found;
  }

  /** Registers the indicators of modules loaded lazily since the last probe (one size check per probe otherwise). */
  private adoptLazyIndicators(): void {
    if (!this.options.health.enabled || this.indicators.length === 0 || this.modules.size === this.knownModules) return;
    for (const indicator of this.discoverIndicators()) {
      const clash = this.indicators.find((i) => i.name === indicator.name && i.probes.some((p) => indicator.probes.includes(p)));
      if (clash) {
        this.logger.warn(`Health indicator "${indicator.name}" of a lazily loaded module is not run: another indicator has that name in the same probe.`);
        continue;
      }
      this.indicators.push(indicator);
      this.cache.clear();
      this.logger.log(`Health indicator "${indicator.name}" (${indicator.probes.join(', ')}) of a lazily loaded module is run from now on.`);
    }
  }

  /** The report with its body within `health.maxBodyBytes`; the first cut is logged. */
  private capped(probe: HealthProbe, report: ProbeReport): ProbeReport {
    const { maxBodyBytes } = this.options.health;
    const { body, originalBytes } = capProbeBody(report.body, maxBodyBytes);
    if (originalBytes === null) return report;
    if (!this.bodyCapLogged) {
      this.bodyCapLogged = true;
      this.logger.warn(
        `The ${probe} probe's body was ${originalBytes} bytes, above health.maxBodyBytes (${maxBodyBytes}): ` +
          `each indicator keeps its status and message, its other details are left out ("detailsOmitted": true). Said once.`,
      );
    }
    return { httpStatus: report.httpStatus, body };
  }

  /** Never throws: whatever the check does, the probe gets this indicator's outcome, JSON-safe. */
  private async runIndicator(indicator: RegisteredIndicator, probe: HealthProbe, timeoutMs: number): Promise<HealthIndicatorResult> {
    const started = performance.now();
    let outcome: HealthCheckOutcome;
    try {
      outcome = await this.checkOnce(indicator, timeoutMs);
    } catch (error) {
      outcome = { status: 'down', details: { message: errorMessage(error) } };
    }
    const { details, replaced } = toJsonSafeDetails(outcome.details);
    if (replaced.length > 0 && !indicator.replacementLogged) {
      indicator.replacementLogged = true;
      this.logger.warn(
        `Health indicator "${indicator.name}" returned details that JSON cannot write; they are replaced in the probe body ` +
          `("[unserializable: …]"): ${replaced.slice(0, 5).join('; ')}${replaced.length > 5 ? '; …' : ''}. Said once.`,
      );
    }
    outcome = { status: outcome.status, details };
    const seconds = (performance.now() - started) / 1000;
    this.durationHistogram?.observe({ indicator: indicator.name, probe }, seconds);
    // The gauge is the indicator's latest result, on the series of every probe it belongs to: the kubelet
    // stops calling the startup probe after its first success, and readiness checks keep that series current.
    for (const member of indicator.probes) this.statusGauge?.set({ indicator: indicator.name, probe: member }, outcome.status === 'up' ? 1 : 0);
    this.logChange(indicator.name, probe, outcome);
    const session = this.indicatorService.check(indicator.name);
    return outcome.status === 'up' ? session.up(outcome.details) : session.down(outcome.details);
  }

  /**
   * Runs the check, unless `health.maxAbandonedChecks` of its earlier checks are still running after
   * their timeout: up to that bound a hung call stays pending while new checks run (so the indicator
   * recovers with its dependency), beyond it none is started (so hung calls cannot pile up).
   */
  private checkOnce(indicator: RegisteredIndicator, timeoutMs: number): Promise<HealthCheckOutcome> {
    const abandoned = (indicator.abandoned ??= []);
    if (abandoned.length >= this.options.health.maxAbandonedChecks) {
      const seconds = Math.round((Date.now() - abandoned[0]) / 100) / 10;
      return Promise.resolve({
        status: 'down',
        details: {
          message: `previous check still running (${abandoned.length} timed out, the oldest ${seconds} s ago, and ignore their AbortSignal); not starting another`,
        },
      });
    }
    let abandonedAt = 0;
    return runCheck(indicator.check, timeoutMs, {
      abandoned: () => {
        abandonedAt = Date.now();
        abandoned.push(abandonedAt);
        this.abandonedGauge?.inc({ indicator: indicator.name });
        this.abandonedCounter?.inc({ indicator: indicator.name });
      },
      settled: () => {
        // A late check frees its own place.
        const i = abandoned.indexOf(abandonedAt);
        if (i !== -1) abandoned.splice(i, 1);
        this.abandonedGauge?.dec({ indicator: indicator.name });
      },
    });
  }

  private logChange(name: string, probe: HealthProbe, outcome: HealthCheckOutcome): void {
    const key = `${probe}:${name}`;
    const previous = this.lastStatus.get(key);
    this.lastStatus.set(key, outcome.status);
    if (outcome.status === 'down' && previous !== 'down') {
      // The details are JSON-safe and their credentials redacted by now.
      const reason = typeof outcome.details.message === 'string' ? outcome.details.message : JSON.stringify(outcome.details);
      this.logger.warn(`Health indicator "${name}" (${probe}) is down: ${redactSecrets(reason)}`);
    } else if (outcome.status === 'up' && previous === 'down') {
      this.logger.log(`Health indicator "${name}" (${probe}) is up again.`);
    }
  }

  private builtInIndicators(): RegisteredIndicator[] {
    const { liveness, timeoutMs } = this.options.health;
    return [
      {
        name: 'process',
        probes: ['liveness'],
        timeoutMs,
        check: () => {
          const details: Record<string, unknown> = { pid: process.pid, uptimeSeconds: Math.round(process.uptime()) };
          let healthy = true;
          if (liveness.maxEventLoopDelayMs !== null && this.loopDelay !== null) {
            // The same answer for every caller within the window: reading it consumes nothing.
            const maxMs = Math.round(this.loopDelay.maxMs() * 10) / 10;
            details.eventLoopDelayMaxMs = maxMs;
            if (maxMs > liveness.maxEventLoopDelayMs) {
              healthy = false;
              details.message = `event-loop delay reached ${maxMs} ms in the last ${liveness.eventLoopWindowMs / 1000} s, above ${liveness.maxEventLoopDelayMs} ms`;
            }
          }
          if (liveness.maxHeapUsedBytes !== null) {
            const heapUsed = process.memoryUsage().heapUsed;
            details.heapUsedBytes = heapUsed;
            if (heapUsed > liveness.maxHeapUsedBytes) {
              healthy = false;
              details.message = `heap used ${heapUsed} bytes is above ${liveness.maxHeapUsedBytes} bytes`;
            }
          }
          return { status: healthy ? 'up' : 'down', details };
        },
      },
      {
        name: 'shutdown',
        probes: ['readiness'],
        timeoutMs,
        check: () => (this.shuttingDown ? { status: 'down', details: { message: 'shutting down' } } : { status: 'up', details: {} }),
      },
      {
        name: 'bootstrap',
        probes: ['startup'],
        timeoutMs,
        check: () => (this.bootstrapped ? { status: 'up', details: {} } : { status: 'down', details: { message: 'the application is starting' } }),
      },
      // metrics.cluster: readiness is down while workers are missing for longer than the grace.
      ...(this.cluster.enabled
        ? [{ name: 'workers', probes: ['readiness'] as HealthProbe[], timeoutMs, check: () => this.cluster.checkWorkers() }]
        : []),
    ];
  }

  private fromInstance(metadata: HealthIndicatorMetadata, instance: unknown, className: string): RegisteredIndicator {
    const check = (instance as { check?: unknown })?.check;
    if (typeof check !== 'function') {
      throw new ObservabilityConfigError(`@HealthIndicator('${metadata.name}') on ${className}: the class must have a check() method.`);
    }
    return {
      name: metadata.name,
      probes: metadata.probes,
      timeoutMs: metadata.timeoutMs ?? this.options.health.timeoutMs,
      check: (signal) => check.call(instance, signal),
    };
  }

  /**
   * A provider for an indicator, as Nest allows it: `get()` for a singleton; `resolve()` for a transient
   * or request-scoped one (Terminus declares its indicators `Scope.TRANSIENT`), one instance kept for
   * every check. Anything that cannot be had fails the boot saying why.
   */
  private async resolveProvider(token: unknown, where: string): Promise<unknown> {
    const name = typeof token === 'function' ? token.name : String(token);
    try {
      return this.moduleRef.get(token as never, { strict: false });
    } catch (error) {
      if ((error as Error)?.constructor?.name === 'InvalidClassScopeException') {
        try {
          return await this.moduleRef.resolve(token as never, undefined, { strict: false });
        } catch (resolveError) {
          throw new ObservabilityConfigError(`${where}: ${name} is a scoped provider and could not be resolved: ${errorMessage(resolveError)}`);
        }
      }
      const why = (error as Error)?.constructor?.name === 'UnknownElementException'
        ? `no provider ${name} is registered in the application (add it to a module's providers, or import the module that exports it)`
        : errorMessage(error);
      throw new ObservabilityConfigError(`${where}: ${name} cannot be injected: ${why}.`);
    }
  }

  private async fromDefinition(definition: HealthIndicatorDefinition): Promise<RegisteredIndicator> {
    const dependencies: unknown[] = [];
    for (const [i, token] of (definition.inject ?? []).entries()) {
      dependencies.push(await this.resolveProvider(token, `health.indicators "${definition.name}", inject[${i}]`));
    }
    return {
      name: definition.name,
      probes: definition.probes ?? ['readiness'],
      timeoutMs: definition.timeoutMs ?? this.options.health.timeoutMs,
      check: () => definition.check(...dependencies),
    };
  }
}
