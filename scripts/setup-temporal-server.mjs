#!/usr/bin/env node
// Builds the Temporal server and its SQL schema tool into .tools/temporal-server,
// at the server version the pinned Temporal CLI embeds (read from the CLI's
// go.mod, so the two never drift apart): what the team-cluster test runs and
// what a platform engineer can run too. Idempotent: when that version is built
// already it returns at once. Without Go it says so and builds nothing (the
// cluster test then skips with one line).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEMPORAL_CLI_VERSION } from './temporal-version.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, '.tools', 'temporal-server');
const binaries = { server: 'temporal-server', sql: 'temporal-sql-tool' };
// `go install` builds report no release, so a stamp beside the binaries records the version.
const stamp = join(dir, 'version');

const go = spawnSync('go', ['version'], { encoding: 'utf8' });
if (go.status !== 0) {
  console.error('skillopt: Go is not installed, so the Temporal server is not built into .tools/temporal-server; the team-cluster test skips.');
  process.exit(0);
}

/** The go.temporal.io/server version the CLI's go.mod requires (downloads that go.mod from the module proxy once). */
function embeddedServerVersion() {
  const info = JSON.parse(execFileSync('go', ['mod', 'download', '-json', `github.com/temporalio/cli@v${TEMPORAL_CLI_VERSION}`], { encoding: 'utf8', cwd: tmpdir() }));
  const match = /^\s*go\.temporal\.io\/server\s+(v\S+)/m.exec(readFileSync(info.GoMod, 'utf8'));
  if (!match) throw new Error(`the go.mod of Temporal CLI v${TEMPORAL_CLI_VERSION} names no go.temporal.io/server`);
  return match[1];
}

const built = () => (Object.values(binaries).every((b) => existsSync(join(dir, b))) && existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : '');
const version = embeddedServerVersion();
if (built() === version) process.exit(0);

mkdirSync(dir, { recursive: true });
const gobin = mkdtempSync(join(tmpdir(), 'skillopt-temporal-server-'));
console.error(`skillopt: building Temporal server ${version} and its SQL tool into .tools/temporal-server (minutes, once)…`);
const started = Date.now();
try {
  execFileSync('go', ['install', ...Object.keys(binaries).map((cmd) => `go.temporal.io/server/cmd/${cmd === 'sql' ? 'tools/sql' : cmd}@${version}`)], {
    stdio: 'inherit',
    cwd: tmpdir(),
    env: { ...process.env, GOBIN: gobin, CGO_ENABLED: '0' },
  });
  for (const [built, name] of Object.entries(binaries)) renameSync(join(gobin, built), join(dir, name));
} finally {
  rmSync(gobin, { recursive: true, force: true });
}
for (const name of Object.values(binaries)) {
  if (spawnSync(join(dir, name), ['--version']).status !== 0) {
    console.error(`skillopt: built ${join(dir, name)}, but it does not run`);
    process.exit(1);
  }
}
writeFileSync(stamp, version + '\n');
console.error(`skillopt: Temporal server ${version} built in ${Math.round((Date.now() - started) / 1000)} s`);
