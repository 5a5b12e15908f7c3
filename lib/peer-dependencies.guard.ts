// Imported first by lib/index.ts: a missing required peer fails with "install X with npm i X" instead of
// Node's bare "Cannot find module" from deep inside the package.
import { checkRequiredPeers } from './peer-dependencies.check';

checkRequiredPeers();
