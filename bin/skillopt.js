#!/usr/bin/env node
// The `skillopt` command: runs the bundle that `npm ci` (prepare) or `npm run build` wrote.
//
// `skillopt hook <Event>` (what Claude Code runs) takes a fast path: it loads
// only dist/hook.cjs (what `hooks install` writes), never the CLI bundle, and never
// fails the agent.
if (process.argv[2] === 'hook') {
  try {
    await import(new URL('../dist/hook.cjs', import.meta.url).href);
  } catch {
    // No build yet: a hook must still exit 0 and print nothing.
    process.exit(0);
  }
} else {
  const { existsSync } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  const cli = new URL('../dist/cli.mjs', import.meta.url);
  if (!existsSync(fileURLToPath(cli))) {
    console.error('skillopt: dist/cli.mjs is missing; run `npm run build` (npm ci does it for you)');
    process.exit(1);
  }
  await import(cli.href);
}
