import { Inject, Injectable } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { dirname } from 'node:path';
import { ObservabilityConfigError } from './observability-config.error';

/**
 * Token of the value that records where one `ObservabilityModule` instance was registered. A string,
 * so that two copies of the package in one app (a duplicated install) are found too.
 */
export const OBSERVABILITY_REGISTRATION = 'nestjs-observability:registration';

/** Where `forRoot()` / `forRootAsync()` was called, for the message about a second registration. */
export interface ObservabilityRegistration {
  /** `forRoot()`, `forRootAsync()` or `ObservabilityTestingModule.forRoot()`. */
  method: string;
  /** The caller's stack frame, e.g. `/app/src/feature.module.ts:12:5`, or `an unknown place`. */
  site: string;
}

/** This package's folder (lib/ in the sources, dist/ when installed): frames inside it are not the caller's. */
const PACKAGE_DIR = dirname(__filename);

/** Records the first stack frame outside this package and outside Nest: where the user called `method`. */
export function registrationSite(method: string): ObservabilityRegistration {
  const stack = new Error().stack ?? '';
  for (const line of stack.split('\n').slice(1)) {
    const frame = /\((.*):(\d+):(\d+)\)$/.exec(line) ?? /at (.*):(\d+):(\d+)$/.exec(line);
    if (!frame) continue;
    const file = frame[1].replace(/^file:\/\//, '');
    if (file.startsWith(PACKAGE_DIR) || file.startsWith('node:') || /[\\/]node_modules[\\/]@nestjs[\\/]/.test(file)) continue;
    return { method, site: `${file}:${frame[2]}:${frame[3]}` };
  }
  return { method, site: 'an unknown place' };
}

/**
 * Refuses a second `ObservabilityModule` in one application at boot. Two instances would each have their
 * own Registry and endpoints: `/metrics` and the probes mapped twice, a second metrics path measured as
 * traffic, and counters of the providers seen by the other instance counted into a Registry nobody
 * serves. Two separate applications in one process have separate containers and are unaffected.
 */
@Injectable()
export class ObservabilityRegistrationCheck {
  constructor(modules: ModulesContainer, @Inject(OBSERVABILITY_REGISTRATION) own: ObservabilityRegistration) {
    const registrations: ObservabilityRegistration[] = [];
    for (const module of modules.values()) {
      const wrapper = module.providers.get(OBSERVABILITY_REGISTRATION);
      if (wrapper?.instance) registrations.push(wrapper.instance as ObservabilityRegistration);
    }
    if (registrations.length > 1 && registrations[0] === own) throw ObservabilityRegistrationCheck.error(registrations);
  }

  private static error(registrations: ObservabilityRegistration[]): ObservabilityConfigError {
    const where = registrations.map((r, i) => `  ${i + 1}. ${r.method} at ${r.site}`).join('\n');
    return new ObservabilityConfigError(
      `ObservabilityModule is registered ${registrations.length} times in one application:\n${where}\n` +
        'Each registration would have its own Registry, /metrics and probes, and count into a Registry that nobody serves. ' +
        'Call forRoot() (or forRootAsync()) once, in the root module: the module is global by default, so feature modules ' +
        'inject MetricsService, TracingService and @InjectMetric() without importing it. With isGlobal: false, export the ' +
        'one registration from a shared module and import that module where it is needed.',
    );
  }
}
