#!/usr/bin/env node
// The Debian packages some tests drive: Chromium (the dashboard's browser tests,
// through playwright-core, which downloads no browser), tmux (the
// interactive Claude Code tests and bench:tui) and ripgrep (OpenCode). What is missing, root on a
// Debian machine installs with one apt-get; anyone else is told in one line
// how to get it, and only the tests that need it fail. Idempotent: with all
// on PATH it returns at once.
import { spawnSync } from 'node:child_process';

const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

const needed = [
  { package: 'chromium', present: Boolean(process.env.SKILLOPT_CHROMIUM) || has('chromium'), for: 'the dashboard browser tests (or set SKILLOPT_CHROMIUM to a Chromium binary)' },
  { package: 'tmux', present: has('tmux'), for: 'the interactive Claude Code tests' },
  // OpenCode's `skill` tool lists a skill's files with rg, and would download it from GitHub without one.
  { package: 'ripgrep', present: has('rg'), for: 'the OpenCode tests' },
].filter((p) => !p.present);

if (needed.length === 0) process.exit(0);
const names = needed.map((p) => p.package);
if (process.getuid?.() !== 0 || !has('apt-get')) {
  for (const p of needed) console.error(`skillopt: ${p.for} need Debian's \`${p.package}\` package: apt-get install ${p.package}`);
  process.exit(0); // Those tests then fail, saying the same; every other test still runs.
}
console.error(`skillopt: installing ${names.join(' and ')} for the tests (apt-get install ${names.join(' ')}, once)…`);
for (const args of [['update', '-q'], ['install', '-y', '-q', ...names]]) {
  const run = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (run.status !== 0) {
    console.error(`skillopt: apt-get ${args.join(' ')} failed (exit ${run.status}); the tests that need ${names.join(' or ')} will fail until it is installed`);
    process.exit(0);
  }
}
