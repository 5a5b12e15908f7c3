/** @type {import('jest').Config} */
const base = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 30000,
  transform: {
    // Type checking runs once in `npm run typecheck`; here ts-jest only transpiles.
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.spec.json' }],
  },
};

/**
 * The e2e specs that run a second time on Nest 11 (CommonJS): the parts where Nest 11 and 12 differ
 * (transports, gateways, outgoing HTTP, queues) and a core set. Not everything twice: CI time.
 */
const NEST11_SPECS = [
  'test/e2e/nest11-rig.spec.ts',
  'test/e2e/http-client.spec.ts',
  'test/e2e/websockets.spec.ts',
  'test/e2e/messaging-transports.spec.ts',
  'test/e2e/bullmq.spec.ts',
  'test/e2e/http-metrics.spec.ts',
  'test/e2e/health.spec.ts',
  'test/e2e/tracing.spec.ts',
  'test/e2e/method-metrics.spec.ts',
  'test/e2e/graphql.spec.ts',
];

module.exports = {
  testTimeout: 30000,
  reporters: ['default', '<rootDir>/test/support/plain-summary.reporter.js'],
  projects: [
    // Nest 12 (ESM), the devDependencies: every spec but the Nest 11 rig's own.
    { ...base, displayName: 'nest12', testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/nest11-rig.spec.ts'] },
    // Nest 11: every `@nestjs/*` (from the specs, the fixtures, lib/ and the packages in between) is
    // resolved from test/nest11/node_modules (`npm ci --prefix test/nest11`). rxjs and reflect-metadata
    // are pinned to the root's copy so that Nest and lib/ share one instance of each.
    {
      ...base,
      displayName: 'nest11',
      testMatch: NEST11_SPECS.map((spec) => `<rootDir>/${spec}`),
      moduleNameMapper: {
        '^@nestjs/(.*)$': '<rootDir>/test/nest11/node_modules/@nestjs/$1',
        '^rxjs$': '<rootDir>/node_modules/rxjs',
        '^rxjs/(.*)$': '<rootDir>/node_modules/rxjs/$1',
        '^reflect-metadata$': '<rootDir>/node_modules/reflect-metadata',
        // Nest 11's NATS transport uses `nats` (v2), which only the rig has; lib/ loads it for headers.
        '^nats$': '<rootDir>/test/nest11/node_modules/nats',
      },
    },
  ],
};
