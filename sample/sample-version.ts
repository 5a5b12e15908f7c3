import { readPackageVersion } from '../lib/package-version.util';

/**
 * The sample's version (the `version` of the package.json above it), for the `version` label and
 * `service.version`. Read from the file, not from `npm_package_version`: that variable is set only
 * under `npm run`, and the Dockerfile starts `node` directly.
 */
export function sampleVersion(): string {
  return readPackageVersion(__dirname) ?? '0.0.0';
}
