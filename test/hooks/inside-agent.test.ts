// The hooks that run inside the agent's own process (pi's extension, OpenCode's
// plugin) start the flusher at the background priority without lowering the
// agent: a hook process lowers itself before it starts one (its last work), but
// here "itself" is pi or OpenCode, which would answer at nice 10 from then on.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority, setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MANIFEST_FILE, emptyManifest, serializeManifest, upsertEntry } from '../../core/manifest';
import skilloptOpenCodePlugin from '../../hooks/opencode-plugin';
import skilloptPiExtension, { type PiExtensionApi } from '../../hooks/pi-extension';
import { BACKGROUND_NICE, useNodeBinary } from '../../hooks/spawn';
import { listOutbox } from '../../local/outbox/files';
import { until } from '../e2e/helpers';

const SKILL = 'deploy--alice';
let dir: string;
let home: string;
let saved: NodeJS.ProcessEnv;
let priority: number;
/** Where the stand-in for Node writes its nice value once started. */
let startedNice: string;

/** The nice value of the process the hook started (the flusher). */
async function startedAt(): Promise<number> {
  await until('the started process to record its priority', () => existsSync(startedNice) && readFileSync(startedNice, 'utf8').trim() !== '', (done) => done, 10_000);
  return Number(readFileSync(startedNice, 'utf8').trim());
}

/** A pulled skill in `root`, in the manifest of SKILLOPT_HOME. */
function pulledInto(root: string): string {
  const skillDir = join(root, SKILL);
  mkdirSync(skillDir, { recursive: true });
  writeFileSync(join(skillDir, 'SKILL.md'), `---\nname: ${SKILL}\ndescription: d\n---\nbody\n`);
  writeFileSync(join(home, '.skillopt', MANIFEST_FILE), serializeManifest(upsertEntry(emptyManifest(), { dirName: SKILL, name: 'deploy', author: 'alice', version: 1, scope: 'user', root, pulledAt: '' })));
  return skillDir;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'skillopt-inside-agent-'));
  home = join(dir, 'home');
  mkdirSync(join(home, '.skillopt'), { recursive: true });
  saved = { ...process.env };
  priority = getPriority();
  // What the hooks start runs on a stand-in for Node that records its priority a moment after it started
  // (the lowering happens just after the spawn), then exits.
  startedNice = join(dir, 'started.nice');
  const standIn = join(dir, 'node-stand-in.sh');
  writeFileSync(standIn, `#!/bin/sh\nsleep 0.5\nnice > '${startedNice}'\n`, { mode: 0o755 });
  useNodeBinary(standIn);
  Object.assign(process.env, { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_DATA_HOME: join(home, 'data'), SKILLOPT_HOME: join(home, '.skillopt'), SKILLOPT_USER: 'alice', SKILLOPT_FLUSHER: '1', SKILLOPT_AUTOPULL: '0', SKILLOPT_ATTRIBUTION: '0', TEMPORAL_ADDRESS: '127.0.0.1:1' });
  for (const name of ['SKILLOPT_INTERNAL', 'SKILLOPT_DISABLED', 'SKILLOPT_BACKGROUND_PRIORITY', 'PI_CODING_AGENT_DIR']) delete process.env[name];
});
afterEach(() => {
  useNodeBinary(process.execPath);
  process.env = saved;
  // Root may raise it again; a run that lowered it must not slow the rest of this worker's tests.
  if (getPriority() !== priority) setPriority(priority);
  rmSync(dir, { recursive: true, force: true });
});

describe('hooks inside the agent’s process', () => {
  it('OpenCode: a skill use arms and starts the flusher at the background priority, and OpenCode keeps its own', async () => {
    const skillDir = pulledInto(join(home, '.config', 'opencode', 'skills'));
    const hooks = await skilloptOpenCodePlugin({ directory: dir });
    await hooks['tool.execute.after']({ tool: 'skill', sessionID: 'ses_1', callID: 'call_1', args: { name: SKILL } }, { metadata: { name: SKILL, dir: skillDir } });
    expect(listOutbox(join(home, '.skillopt'))).toHaveLength(1);
    expect(getPriority()).toBe(priority);
    expect(await startedAt()).toBe(BACKGROUND_NICE);
  });

  it('pi: a read of a pulled SKILL.md arms and starts the flusher at the background priority, and pi keeps its own', async () => {
    const skillDir = pulledInto(join(home, '.pi', 'agent', 'skills'));
    const handlers = new Map<string, (event: unknown, ctx: unknown) => Promise<undefined> | undefined>();
    skilloptPiExtension({ on: (event: string, handler: (event: unknown, ctx: unknown) => Promise<undefined> | undefined) => handlers.set(event, handler) } as unknown as PiExtensionApi);
    const ctx = { cwd: dir, sessionManager: { getSessionId: () => 's-1', getSessionFile: () => undefined, getLeafId: () => null } };
    await handlers.get('tool_result')!({ toolName: 'read', toolCallId: 'call_1', input: { path: join(skillDir, 'SKILL.md') } }, ctx);
    expect(listOutbox(join(home, '.skillopt'))).toHaveLength(1);
    expect(getPriority()).toBe(priority);
    expect(await startedAt()).toBe(BACKGROUND_NICE);
  });
});
