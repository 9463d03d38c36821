// Tests that run skillopt as real processes use the built bundles: build once per run.
// A build error is reported here and again by every test that needs the bundle;
// tests that don't need it still run (CI's `npm ci` has built or failed already).
import { spawnSync } from 'node:child_process';
import { prepareHistoriesFolder, recordingHistories } from './helpers/histories';

export default function setup(): void {
  // Refuses before any test runs when this version's histories exist (they are a released set).
  if (recordingHistories()) prepareHistoriesFolder();
  const build = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  if (build.status !== 0) console.warn('global setup: `node scripts/build.mjs` failed; process-level tests will fail');
}
