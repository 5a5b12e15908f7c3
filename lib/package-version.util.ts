import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The version in the nearest package.json at or above `fromDir` (whose `name` is `packageName`, when
 * given), read at run time; `undefined` if there is none within a few folders, never a throw. Unlike
 * `npm_package_version`, it does not depend on the process being started by `npm run`.
 *
 * @example
 * readPackageVersion(__dirname); // the app's version, from its package.json
 */
export function readPackageVersion(fromDir: string, packageName?: string): string | undefined {
  let dir = fromDir;
  for (let depth = 0; depth < 4; depth++) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (packageName === undefined || manifest.name === packageName) return manifest.version;
    } catch {
      // no (readable) package.json here: look one folder up
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

/**
 * The version of the installed nestjs-observability package (`dist/` sits right below its package.json),
 * e.g. for the instrumentation scope of the module's spans.
 *
 * @example
 * tracerProvider.getTracer('nestjs-observability', observabilityPackageVersion());
 */
export function observabilityPackageVersion(): string | undefined {
  return readPackageVersion(__dirname, 'nestjs-observability');
}
