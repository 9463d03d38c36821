// skillopt's pi extension: one file in pi's extensions folder (user:
// <agent dir>/extensions/skillopt.ts, project: <cwd>/.pi/extensions/skillopt.ts)
// whose only statement re-exports the bundled extension, dist/pi-extension.mjs
// (hooks/pi-extension.ts), by its absolute path, when it is there: pi stops at
// start, in every mode, when an extension fails to load (docs/pi.md), so a
// moved or deleted checkout must leave pi working, only without skillopt. Install writes or rewrites that file; uninstall removes it
// only when it is skillopt's (its first line says so); a file of that name that
// is not skillopt's is refused, never overwritten.
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { atomicWriteFile, readTextIfExists } from '../../local/fs';
import { projectRoot } from '../../local/project-root';
import { HookSettingsError, type AgentSetup, type HookScope, type SetupWhere } from '../setup';
import { piAgentDir } from './agent';

const MARK = '// skillopt: its pi extension';
const PI_EXTENSION_BUNDLE = 'pi-extension.mjs';

function extensionPath({ scope, home, cwd, env }: Omit<SetupWhere, 'entry'>): string {
  return scope === 'project' ? resolve(cwd, '.pi', 'extensions', 'skillopt.ts') : join(piAgentDir(env, home), 'extensions', 'skillopt.ts');
}

/** The bundle beside the hook entry `hooks install` was given (`node <dist>/hook.cjs`), else this checkout's. */
function bundlePath(entry: readonly string[] | undefined): string {
  const hook = entry?.at(-1);
  return hook && basename(hook) === 'hook.cjs' ? join(dirname(resolve(hook)), PI_EXTENSION_BUNDLE) : join(projectRoot(), 'dist', PI_EXTENSION_BUNDLE);
}

function piExtensionSource(bundle: string): string {
  return [
    `${MARK} (\`skillopt hooks install --agent pi\` wrote it; \`skillopt hooks uninstall --agent pi\` removes it).`,
    "import { existsSync } from 'node:fs';",
    `const BUNDLE = ${JSON.stringify(bundle)};`,
    'export default async function skillopt(pi: unknown): Promise<void> {',
    '  if (!existsSync(BUNDLE)) return;',
    '  const { default: extension } = (await import(BUNDLE)) as { default: (pi: unknown) => void };',
    '  extension(pi);',
    '}',
    '',
  ].join('\n');
}

/** The bundle an installed extension file loads; undefined when the file is not skillopt's. */
function installedBundle(text: string): string | undefined {
  if (!text.startsWith(MARK)) return undefined;
  const from = /^const BUNDLE = ("(?:[^"\\]|\\.)*");$/m.exec(text)?.[1];
  return from === undefined ? '' : (JSON.parse(from) as string);
}

async function readOurs(path: string): Promise<{ text: string | undefined; bundle: string | undefined }> {
  const text = await readTextIfExists(path);
  if (text !== undefined && installedBundle(text) === undefined) {
    throw new HookSettingsError(`${path} is not skillopt's pi extension; move it away first, skillopt will not overwrite it`);
  }
  return { text, bundle: text === undefined ? undefined : installedBundle(text) };
}

const otherScope = (scope: HookScope): HookScope => (scope === 'user' ? 'project' : 'user');

export const piSetup: AgentSetup = {
  installs: "pi's extensions folder (an extension for session_start, tool_result, input, session_shutdown)",
  setName: 'the skillopt pi extension',
  async install(where) {
    const path = extensionPath(where);
    const wanted = piExtensionSource(bundlePath(where.entry));
    const { text } = await readOurs(path);
    const written = text !== wanted;
    if (written) {
      await mkdir(dirname(path), { recursive: true });
      await atomicWriteFile(path, wanted);
    }
    const other = extensionPath({ ...where, scope: otherScope(where.scope) });
    const alsoInstalledIn = other !== path && (await readTextIfExists(other))?.startsWith(MARK) ? other : undefined;
    return { settingsPath: path, changed: written ? ['extension'] : [], written, ...(alsoInstalledIn ? { alsoInstalledIn } : {}) };
  },
  async uninstall(where) {
    const path = extensionPath(where);
    const { text } = await readOurs(path);
    if (text === undefined) return { settingsPath: path, changed: [], written: false };
    await rm(path, { force: true });
    return { settingsPath: path, changed: ['extension'], written: true };
  },
  async check(where) {
    const found: { scope: HookScope; path: string; bundle: string }[] = [];
    for (const scope of ['user', 'project'] as const) {
      const path = extensionPath({ ...where, scope });
      if (found.some((f) => f.path === path)) continue;
      const text = await readTextIfExists(path).catch((err: Error) => `unreadable: ${err.message}`);
      const bundle = text === undefined ? undefined : installedBundle(text);
      if (bundle !== undefined) found.push({ scope, path, bundle });
    }
    if (found.length === 0) return undefined;
    if (found.length > 1) {
      return { ok: false, detail: `pi extension installed in ${found.map((f) => f.path).join(' and ')}: pi loads both`, fix: 'keep one: `skillopt hooks uninstall --agent pi --scope project` (or --scope user)' };
    }
    const [one] = found as [(typeof found)[number]];
    if (!existsSync(one.bundle)) {
      return { ok: false, detail: `${one.path} loads ${one.bundle || 'nothing'}, which is not there`, fix: `run \`skillopt hooks install --agent pi --scope ${one.scope}\` again from this install` };
    }
    return { ok: true, detail: `pi: extension in ${one.path} (${one.scope}), loading ${one.bundle}` };
  },
};
