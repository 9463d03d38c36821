// skillopt's OpenCode plugin: one file in a plugins folder OpenCode scans
// (user: <config>/plugins/skillopt.js, project: <cwd>/.opencode/plugins/skillopt.js)
// whose only export is a plugin function that loads the bundled plugin,
// dist/opencode-plugin.mjs (hooks/opencode-plugin.ts), by its absolute path,
// when it is there, and hands it the Node binary skillopt's background
// processes run on (OpenCode runs plugins in its own Bun, which cannot run
// them). OpenCode rejects a plugin file with any export that is not a plugin
// function, and a moved or deleted checkout must leave OpenCode working, only
// without skillopt: the file loads nothing then, and nothing it does throws.
// agents/loader-file.ts installs, removes and checks it. The user's
// opencode.json is never touched: OpenCode finds the file by its folder.
//
// Before it loads any plugin, OpenCode waits for an npm install of
// @opencode-ai/plugin into the plugin's config folder, at every start until one
// succeeds: offline, ~80 s per start (measured with the registry refusing), a
// stall skillopt's plugin, which imports nothing, would cause. OpenCode skips
// that install when the folder has node_modules/ and a package-lock.json that
// lists the package (docs/opencode.md §2). So install seeds a folder that has
// neither (OpenCode never installed there) with exactly that: an empty
// node_modules/ and a lock naming the package; uninstall removes the seed when
// it is still untouched. A folder OpenCode or the user installed into is left alone.
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { atomicWriteFile, readTextIfExists } from '../../local/fs';
import { projectRoot } from '../../local/project-root';
import { loaderFileSetup } from '../loader-file';
import type { AgentSetup, SetupWhere } from '../setup';
import { openCodeConfigDir } from './agent';

const MARK = '// skillopt: its OpenCode plugin';
const OPENCODE_PLUGIN_BUNDLE = 'opencode-plugin.mjs';

function pluginPath({ scope, home, cwd, env }: Omit<SetupWhere, 'entry'>): string {
  return scope === 'project' ? resolve(cwd, '.opencode', 'plugins', 'skillopt.js') : join(openCodeConfigDir(env, home), 'plugins', 'skillopt.js');
}

/** The bundle beside the hook entry `hooks install` was given (`node <dist>/hook.cjs`), else this checkout's; and that entry's Node. */
function bundleAndNode(entry: readonly string[] | undefined): { bundle: string; node: string } {
  const hook = entry?.at(-1);
  if (entry && entry.length >= 2 && hook && basename(hook) === 'hook.cjs') return { bundle: join(dirname(resolve(hook)), OPENCODE_PLUGIN_BUNDLE), node: entry[0]! };
  return { bundle: join(projectRoot(), 'dist', OPENCODE_PLUGIN_BUNDLE), node: process.execPath };
}

export function openCodePluginSource(bundle: string, node: string): string {
  return [
    `${MARK} (\`skillopt hooks install --agent opencode\` wrote it; \`skillopt hooks uninstall --agent opencode\` removes it).`,
    "import { existsSync } from 'node:fs';",
    `const BUNDLE = ${JSON.stringify(bundle)};`,
    `const NODE = ${JSON.stringify(node)};`,
    'export default async function skillopt(input) {',
    '  try {',
    '    if (!existsSync(BUNDLE)) return {};',
    '    const { default: plugin } = await import(BUNDLE);',
    '    return await plugin(input, { node: NODE });',
    '  } catch {',
    '    return {};',
    '  }',
    '}',
    '',
  ].join('\n');
}

/** The lock that makes OpenCode skip its npm install of @opencode-ai/plugin (the version is not checked). */
export const SEED_LOCK = `${JSON.stringify({ name: 'opencode-config', lockfileVersion: 3, requires: true, packages: { '': { dependencies: { '@opencode-ai/plugin': '*' } } } }, null, 2)}\n`;

/** Seeds the plugins folder's config folder when OpenCode never installed there; whether it did. */
async function seedDependencies(configDir: string): Promise<boolean> {
  if (existsSync(join(configDir, 'node_modules')) || existsSync(join(configDir, 'package-lock.json'))) return false;
  await mkdir(join(configDir, 'node_modules'), { recursive: true });
  await atomicWriteFile(join(configDir, 'package-lock.json'), SEED_LOCK);
  return true;
}

/** Takes the seed out again while it is exactly skillopt's (an empty node_modules/, the seed lock). */
async function unseedDependencies(configDir: string): Promise<void> {
  if ((await readTextIfExists(join(configDir, 'package-lock.json'))) !== SEED_LOCK) return;
  const modules = await readdir(join(configDir, 'node_modules')).catch(() => undefined);
  if (modules === undefined || modules.length > 0) return;
  await rmdir(join(configDir, 'node_modules'));
  await rm(join(configDir, 'package-lock.json'), { force: true });
}

export const openCodeSetup: AgentSetup = loaderFileSetup({
  agent: 'opencode',
  agentLabel: 'OpenCode',
  kind: 'plugin',
  mark: MARK,
  installs: "OpenCode's plugins folder (a plugin for session.created, chat.message, the skill tool's result, dispose)",
  setName: 'the skillopt OpenCode plugin',
  path: pluginPath,
  source(entry) {
    const { bundle, node } = bundleAndNode(entry);
    return openCodePluginSource(bundle, node);
  },
  // The plugins folder's parent is the config folder OpenCode installs into.
  afterInstall: async (path) => ((await seedDependencies(dirname(dirname(path)))) ? 'npm-install seed' : undefined),
  afterUninstall: (path) => unseedDependencies(dirname(dirname(path))),
});
