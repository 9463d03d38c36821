// skillopt's OpenCode plugin (hooks/opencode-plugin.ts) called as OpenCode
// calls it, in-process, on real files: what each hook spools to the outbox,
// once even when the plugin is installed in both scopes (two copies), nothing
// for a subagent's session, and nothing thrown whatever OpenCode hands it.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MANIFEST_FILE, emptyManifest, serializeManifest, upsertEntry } from '../../core/manifest';
import skilloptOpenCodePlugin, { type OpenCodeHooks } from '../../hooks/opencode-plugin';
import { listOutbox, outboxDir } from '../../local/outbox/files';

const SKILL = 'deploy--alice';
let dir: string;
let skilloptHome: string;
let skillDir: string;
let saved: NodeJS.ProcessEnv;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'skillopt-opencode-plugin-'));
  const home = join(dir, 'home');
  skilloptHome = join(home, '.skillopt');
  const root = join(home, '.config', 'opencode', 'skills');
  skillDir = join(root, SKILL);
  mkdirSync(skillDir, { recursive: true });
  writeFileSync(join(skillDir, 'SKILL.md'), `---\nname: ${SKILL}\ndescription: d\n---\nbody\n`);
  mkdirSync(skilloptHome, { recursive: true });
  writeFileSync(join(skilloptHome, MANIFEST_FILE), serializeManifest(upsertEntry(emptyManifest(), { dirName: SKILL, name: 'deploy', author: 'alice', version: 3, scope: 'user', root, pulledAt: '' })));
  saved = { ...process.env };
  // The plugin reads OpenCode's process environment; no background process is started here.
  Object.assign(process.env, { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_DATA_HOME: join(home, 'data'), SKILLOPT_HOME: skilloptHome, SKILLOPT_USER: 'alice', SKILLOPT_FLUSHER: '0', SKILLOPT_AUTOPULL: '0', SKILLOPT_ATTRIBUTION: '0' });
  delete process.env.SKILLOPT_INTERNAL;
  delete process.env.SKILLOPT_DISABLED;
});
afterEach(() => {
  process.env = saved;
  rmSync(dir, { recursive: true, force: true });
});

/** The outbox's events: signal and payload, in order. */
function spooled(): { signal: string; payload: Record<string, unknown> }[] {
  return listOutbox(skilloptHome).map((f) => JSON.parse(readFileSync(join(outboxDir(skilloptHome), f), 'utf8')) as { signal: string; payload: Record<string, unknown> });
}

async function both(fn: (hooks: OpenCodeHooks) => Promise<void>, copies: OpenCodeHooks[]): Promise<void> {
  for (const hooks of copies) await fn(hooks);
}

describe('the OpenCode plugin', () => {
  it('arms on the skill tool’s result by its call id, sends the next prompt as a reaction and ends the session at dispose: once, from two copies', async () => {
    const copies = [await skilloptOpenCodePlugin({ directory: dir }), await skilloptOpenCodePlugin({ directory: dir })];
    await both((h) => h.event({ event: { type: 'session.created', properties: { info: { id: 'ses_1' } } } }), copies);
    await both((h) => h['tool.execute.after']({ tool: 'skill', sessionID: 'ses_1', callID: 'call_7', args: { name: SKILL } }, { metadata: { name: SKILL, dir: skillDir } }), copies);
    await both((h) => h['chat.message']({ sessionID: 'ses_1' }, { message: { id: 'msg_2' }, parts: [{ type: 'text', text: 'that was wrong' }, { type: 'text', text: 'added by OpenCode', synthetic: true }] }), copies);
    await both((h) => h.dispose(), copies);
    const events = spooled();
    expect(events.map((e) => e.signal)).toEqual(['invoked', 'reaction', 'sessionEnded']);
    expect(events[0]!.payload).toMatchObject({ sessionId: 'ses_1', toolUseId: 'call_7', agent: 'opencode', skillVersion: 3, transcriptPath: join(dir, 'home', 'data', 'opencode', 'opencode.db') });
    expect(events[1]!.payload).toMatchObject({ sessionId: 'ses_1', text: 'that was wrong', transcriptPath: join(dir, 'home', 'data', 'opencode', 'opencode.db') });
    expect(events[1]!.payload.transcriptBytes).toBeGreaterThan(Date.now() - 60_000);
  });

  it('a subagent’s session (the task tool’s child) neither arms nor reacts; a local skill’s use does not arm', async () => {
    const hooks = await skilloptOpenCodePlugin({ directory: dir });
    await hooks.event({ event: { type: 'session.created', properties: { info: { id: 'ses_child', parentID: 'ses_1' } } } });
    await hooks['tool.execute.after']({ tool: 'skill', sessionID: 'ses_child', callID: 'call_1', args: { name: SKILL } }, { metadata: { dir: skillDir } });
    await hooks['chat.message']({ sessionID: 'ses_child' }, { message: { id: 'msg_1' }, parts: [{ type: 'text', text: 'do the deploy' }] });
    const local = join(dir, 'home', '.agents', 'skills', SKILL);
    await hooks['tool.execute.after']({ tool: 'skill', sessionID: 'ses_2', callID: 'call_2', args: { name: SKILL } }, { metadata: { dir: local } });
    await hooks.dispose();
    expect(spooled()).toEqual([]);
  });

  it('never throws, whatever OpenCode hands it, nor when SKILLOPT_HOME cannot be written', async () => {
    const hooks = await skilloptOpenCodePlugin(undefined as never, undefined);
    const odd: unknown[] = [undefined, null, 'x', 1, { event: null }, { event: { type: 'session.created', properties: 'x' } }, { event: { type: 'session.created', properties: { info: { id: 7 } } } }];
    for (const value of odd) {
      await expect(hooks.event(value as never)).resolves.toBeUndefined();
      await expect(hooks['chat.message'](value as never, value as never)).resolves.toBeUndefined();
      await expect(hooks['tool.execute.after'](value as never, value as never)).resolves.toBeUndefined();
    }
    writeFileSync(join(dir, 'file'), '');
    process.env.SKILLOPT_HOME = join(dir, 'file', 'home');
    await expect(hooks.event({ event: { type: 'session.created', properties: { info: { id: 'ses_9' } } } })).resolves.toBeUndefined();
    await expect(hooks['tool.execute.after']({ tool: 'skill', sessionID: 'ses_9', callID: 'c', args: { name: SKILL } }, { metadata: { dir: skillDir } })).resolves.toBeUndefined();
    await expect(hooks['chat.message']({ sessionID: 'ses_9' }, { message: { id: 'm' }, parts: [{ type: 'text', text: 'hi' }] })).resolves.toBeUndefined();
    await expect(hooks.dispose()).resolves.toBeUndefined();
  });
});
