import { ConfigurableModuleBuilder } from '@nestjs/common';
import { ObservabilityModuleOptions } from './observability-options.interface';

/**
 * The module's options plumbing, built with Nest's `ConfigurableModuleBuilder`:
 * `forRoot()` / `forRootAsync()` and the `isGlobal` extra (global by default).
 */
export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: OBSERVABILITY_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ObservabilityModuleOptions>({ moduleName: 'Observability' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createObservabilityOptions')
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
