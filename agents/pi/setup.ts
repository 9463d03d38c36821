// skillopt's pi extension: one file in pi's extensions folder (user:
// <agent dir>/extensions/skillopt.ts, project: <cwd>/.pi/extensions/skillopt.ts)
// whose only statement re-exports the bundled extension, dist/pi-extension.mjs
// (hooks/pi-extension.ts), by its absolute path, when it is there: pi stops at
// start, in every mode, when an extension fails to load (docs/pi.md), so a
// moved or deleted checkout must leave pi working, only without skillopt
// (agents/loader-file.ts: install, uninstall, doctor's check).
import { basename, dirname, join, resolve } from 'node:path';
import { projectRoot } from '../../local/project-root';
import { loaderFileSetup } from '../loader-file';
import type { AgentSetup, SetupWhere } from '../setup';
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

export const piSetup: AgentSetup = loaderFileSetup({
  agent: 'pi',
  agentLabel: 'pi',
  kind: 'extension',
  mark: MARK,
  installs: "pi's extensions folder (an extension for session_start, tool_result, input, session_shutdown)",
  setName: 'the skillopt pi extension',
  path: extensionPath,
  source: (entry) => piExtensionSource(bundlePath(entry)),
});
