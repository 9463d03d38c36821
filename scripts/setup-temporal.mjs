#!/usr/bin/env node
// Builds the pinned Temporal CLI (which embeds the dev server) into .tools/bin.
// Idempotent: when the right version is already there it returns at once.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEMPORAL_CLI_VERSION } from './temporal-version.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const binDir = join(root, '.tools', 'bin');
const target = join(binDir, 'temporal');
// `go install` builds report "0.0.0-DEV", so a stamp beside the binary records the version.
const stamp = join(binDir, 'temporal.version');

function builtVersion() {
  return existsSync(target) && existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : '';
}

if (process.env.SKILLOPT_TEMPORAL_BIN) {
  // The user chose a binary; nothing to build.
  process.exit(0);
}
if (builtVersion() === TEMPORAL_CLI_VERSION) {
  process.exit(0);
}
const go = spawnSync('go', ['version'], { encoding: 'utf8' });
if (go.status !== 0) {
  console.error(
    `skillopt: Go is not installed, so the Temporal CLI ${TEMPORAL_CLI_VERSION} cannot be built into .tools/bin; ` +
      'install Go, put `temporal` on PATH, or set SKILLOPT_TEMPORAL_BIN. Without one, `npm start` and the tests run the dev server ' +
      "the Temporal SDK downloads into .tools/download (needs internet once; the SDK's default version, not the pinned one).",
  );
  process.exit(0);
}
mkdirSync(binDir, { recursive: true });
console.error(`skillopt: building Temporal CLI v${TEMPORAL_CLI_VERSION} into .tools/bin (a few minutes, once)…`);
execFileSync('go', ['install', `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`], {
  stdio: 'inherit',
  env: { ...process.env, GOBIN: binDir, CGO_ENABLED: '0' },
});
if (spawnSync(target, ['--version']).status !== 0) {
  console.error(`skillopt: built ${target}, but it does not run`);
  process.exit(1);
}
writeFileSync(stamp, TEMPORAL_CLI_VERSION + '\n');
