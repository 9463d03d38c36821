// The setup of an agent that runs skillopt inside its own process (pi's
// extension, OpenCode's plugin): one file of skillopt's in a folder the agent
// scans (user or project scope), which loads skillopt's bundle by its absolute
// path when it is there, so a moved or deleted checkout leaves the agent
// working, only without skillopt. Install writes or rewrites that file;
// uninstall removes it only when it is skillopt's (its first line, `mark`,
// says so); a file of that name that is not skillopt's is refused, never
// overwritten. The file names its bundle as `const BUNDLE = "<path>";`.
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { atomicWriteFile, readTextIfExists } from '../local/fs';
import { HookSettingsError, type AgentSetup, type HookScope, type SetupWhere } from './setup';

export interface LoaderFile {
  /** The `--agent` name (for the fixes doctor prints). */
  agent: string;
  /** How people call the agent: "OpenCode". */
  agentLabel: string;
  /** What the agent calls such a file: "extension", "plugin". */
  kind: string;
  /** The file's first line's start: how skillopt's file is told from another. */
  mark: string;
  installs: string;
  setName: string;
  path(where: Omit<SetupWhere, 'entry'>): string;
  /** The file's text for the install `entry` (the hook command `hooks install` was given). */
  source(entry: readonly string[] | undefined): string;
  /** After the file is in place: more to write (its name for `changed`), or nothing. */
  afterInstall?(path: string): Promise<string | undefined>;
  /** After the file is removed. */
  afterUninstall?(path: string): Promise<void>;
}

/** The bundle an installed file loads (`''` when it names none); undefined when the file is not skillopt's. */
export function installedBundle(text: string, mark: string): string | undefined {
  if (!text.startsWith(mark)) return undefined;
  const from = /^const BUNDLE = ("(?:[^"\\]|\\.)*");$/m.exec(text)?.[1];
  return from === undefined ? '' : (JSON.parse(from) as string);
}

const otherScope = (scope: HookScope): HookScope => (scope === 'user' ? 'project' : 'user');

export function loaderFileSetup(file: LoaderFile): AgentSetup {
  const readOurs = async (path: string): Promise<string | undefined> => {
    const text = await readTextIfExists(path);
    if (text !== undefined && installedBundle(text, file.mark) === undefined) {
      throw new HookSettingsError(`${path} is not skillopt's ${file.agentLabel} ${file.kind}; move it away first, skillopt will not overwrite it`);
    }
    return text;
  };
  return {
    installs: file.installs,
    setName: file.setName,
    async install(where) {
      const path = file.path(where);
      const wanted = file.source(where.entry);
      const written = (await readOurs(path)) !== wanted;
      if (written) {
        await mkdir(dirname(path), { recursive: true });
        await atomicWriteFile(path, wanted);
      }
      const also = await file.afterInstall?.(path);
      const other = file.path({ ...where, scope: otherScope(where.scope) });
      const alsoInstalledIn = other !== path && (await readTextIfExists(other))?.startsWith(file.mark) ? other : undefined;
      const changed = [...(written ? [file.kind] : []), ...(also ? [also] : [])];
      return { settingsPath: path, changed, written: changed.length > 0, ...(alsoInstalledIn ? { alsoInstalledIn } : {}) };
    },
    async uninstall(where) {
      const path = file.path(where);
      if ((await readOurs(path)) === undefined) return { settingsPath: path, changed: [], written: false };
      await rm(path, { force: true });
      await file.afterUninstall?.(path);
      return { settingsPath: path, changed: [file.kind], written: true };
    },
    async check(where) {
      const found: { scope: HookScope; path: string; bundle: string }[] = [];
      for (const scope of ['user', 'project'] as const) {
        const path = file.path({ ...where, scope });
        if (found.some((f) => f.path === path)) continue;
        const text = await readTextIfExists(path).catch((err: Error) => `unreadable: ${err.message}`);
        const bundle = text === undefined ? undefined : installedBundle(text, file.mark);
        if (bundle !== undefined) found.push({ scope, path, bundle });
      }
      if (found.length === 0) return undefined;
      if (found.length > 1) {
        return {
          ok: false,
          detail: `${file.agentLabel} ${file.kind} installed in ${found.map((f) => f.path).join(' and ')}: ${file.agentLabel} loads both`,
          fix: `keep one: \`skillopt hooks uninstall --agent ${file.agent} --scope project\` (or --scope user)`,
        };
      }
      const [one] = found as [(typeof found)[number]];
      if (!existsSync(one.bundle)) {
        return { ok: false, detail: `${one.path} loads ${one.bundle || 'nothing'}, which is not there`, fix: `run \`skillopt hooks install --agent ${file.agent} --scope ${one.scope}\` again from this install` };
      }
      return { ok: true, detail: `${file.agentLabel}: ${file.kind} in ${one.path} (${one.scope}), loading ${one.bundle}` };
    },
  };
}
