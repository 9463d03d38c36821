// skillopt's OpenCode plugin: one file in a plugins folder OpenCode scans
// (user: <config>/plugins/skillopt.js, project: <cwd>/.opencode/plugins/skillopt.js)
// whose only export is a plugin function that loads the bundled plugin,
// dist/opencode-plugin.mjs (hooks/opencode-plugin.ts), by its absolute path,
// when it is there, and hands it the Node binary skillopt's background
// processes run on (OpenCode runs plugins in its own Bun, which cannot run
// them). OpenCode rejects a plugin file with any export that is not a plugin
// function, and a moved or deleted checkout must leave OpenCode working, only
// without skillopt: the file loads nothing then, and nothing it does throws.
// Install writes or rewrites that file; uninstall removes it only when it is
// skillopt's (its first line says so); a file of that name that is not
// skillopt's is refused, never overwritten. The user's opencode.json is never
// touched: OpenCode finds the file by its folder.
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
import { HookSettingsError, type AgentSetup, type HookScope, type SetupWhere } from '../setup';
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

/** The bundle an installed plugin file loads; undefined when the file is not skillopt's. */
function installedBundle(text: string): string | undefined {
  if (!text.startsWith(MARK)) return undefined;
  const from = /^const BUNDLE = ("(?:[^"\\]|\\.)*");$/m.exec(text)?.[1];
  return from === undefined ? '' : (JSON.parse(from) as string);
}

async function readOurs(path: string): Promise<{ text: string | undefined }> {
  const text = await readTextIfExists(path);
  if (text !== undefined && installedBundle(text) === undefined) {
    throw new HookSettingsError(`${path} is not skillopt's OpenCode plugin; move it away first, skillopt will not overwrite it`);
  }
  return { text };
}

const otherScope = (scope: HookScope): HookScope => (scope === 'user' ? 'project' : 'user');

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

export const openCodeSetup: AgentSetup = {
  installs: "OpenCode's plugins folder (a plugin for session.created, chat.message, the skill tool's result, dispose)",
  setName: 'the skillopt OpenCode plugin',
  async install(where) {
    const path = pluginPath(where);
    const { bundle, node } = bundleAndNode(where.entry);
    const wanted = openCodePluginSource(bundle, node);
    const { text } = await readOurs(path);
    const written = text !== wanted;
    if (written) {
      await mkdir(dirname(path), { recursive: true });
      await atomicWriteFile(path, wanted);
    }
    const seeded = await seedDependencies(dirname(dirname(path)));
    const other = pluginPath({ ...where, scope: otherScope(where.scope) });
    const alsoInstalledIn = other !== path && (await readTextIfExists(other))?.startsWith(MARK) ? other : undefined;
    const changed = [...(written ? ['plugin'] : []), ...(seeded ? ['npm-install seed'] : [])];
    return { settingsPath: path, changed, written: written || seeded, ...(alsoInstalledIn ? { alsoInstalledIn } : {}) };
  },
  async uninstall(where) {
    const path = pluginPath(where);
    const { text } = await readOurs(path);
    if (text === undefined) return { settingsPath: path, changed: [], written: false };
    await rm(path, { force: true });
    await unseedDependencies(dirname(dirname(path)));
    return { settingsPath: path, changed: ['plugin'], written: true };
  },
  async check(where) {
    const found: { scope: HookScope; path: string; bundle: string }[] = [];
    for (const scope of ['user', 'project'] as const) {
      const path = pluginPath({ ...where, scope });
      if (found.some((f) => f.path === path)) continue;
      const text = await readTextIfExists(path).catch((err: Error) => `unreadable: ${err.message}`);
      const bundle = text === undefined ? undefined : installedBundle(text);
      if (bundle !== undefined) found.push({ scope, path, bundle });
    }
    if (found.length === 0) return undefined;
    if (found.length > 1) {
      return {
        ok: false,
        detail: `OpenCode plugin installed in ${found.map((f) => f.path).join(' and ')}: OpenCode loads both`,
        fix: 'keep one: `skillopt hooks uninstall --agent opencode --scope project` (or --scope user)',
      };
    }
    const [one] = found as [(typeof found)[number]];
    if (!existsSync(one.bundle)) {
      return { ok: false, detail: `${one.path} loads ${one.bundle || 'nothing'}, which is not there`, fix: `run \`skillopt hooks install --agent opencode --scope ${one.scope}\` again from this install` };
    }
    return { ok: true, detail: `OpenCode: plugin in ${one.path} (${one.scope}), loading ${one.bundle}` };
  },
};
