#!/usr/bin/env node
// The browser tests drive Debian's Chromium through playwright-core (which
// downloads no browser). When `chromium` is missing, root on a Debian machine
// installs the package; anyone else is told in one line how to get it.
// Idempotent: with chromium on PATH (or SKILLOPT_CHROMIUM) it returns at once.
import { spawnSync } from 'node:child_process';

const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

if (process.env.SKILLOPT_CHROMIUM || has('chromium')) process.exit(0);
if (process.getuid?.() !== 0 || !has('apt-get')) {
  console.error('skillopt: the dashboard browser tests need Chromium: install Debian\'s `chromium` package (apt-get install chromium), or set SKILLOPT_CHROMIUM to a Chromium binary');
  process.exit(0); // The browser test then fails, saying the same; every other test still runs.
}
console.error('skillopt: installing Chromium for the browser tests (apt-get install chromium, once)…');
for (const args of [['update', '-q'], ['install', '-y', '-q', 'chromium']]) {
  const run = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (run.status !== 0) {
    console.error(`skillopt: apt-get ${args.join(' ')} failed (exit ${run.status}); the browser tests will fail until chromium is installed`);
    process.exit(0);
  }
}
