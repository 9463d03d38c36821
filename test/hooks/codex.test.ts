// skillopt's hooks for Codex CLI, as the real hook process runs them: what
// `hooks install --agent codex` writes (hooks.json, and the trust Codex
// requires in config.toml, nothing else touched), arming on a shell command
// that reads a pulled skill's SKILL.md (and on nothing else), reactions keyed
// by Codex's turn id, and SessionStart pulling into Codex's skills folder.
// Payloads are shaped as captured from Codex CLI 0.171.0 (docs/codex-cli.md).
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codexHookHash, codexHookKey } from '../../agents/codex/trust';
import { codexSetup } from '../../agents/codex/setup';
import { shellQuote } from '../../agents/hooks-json';
import { openStore } from '../../store/open-store';
import { HOOK_ENTRY, installOrgSkills, makeHookSandbox, outboxEvents, readHintFile, runHook, type HookSandbox } from './helpers';
import { publishPushed } from '../helpers/signed';
import { testKey } from '../helpers/keys';

let sb: HookSandbox;
let codexHome: string;
const command = () => `node ${shellQuote(HOOK_ENTRY)}`;
const hooksPath = () => join(codexHome, 'hooks.json');
const configPath = () => join(codexHome, 'config.toml');

/** A user's Codex config: a provider, a comment, a project trust and a hook trust of their own. */
const FOREIGN_CONFIG = `# my codex settings
model = "gpt-5"
model_provider = "corp"

[model_providers.corp]
name = "corp"
base_url = "https://llm.corp.example/v1"

[projects."/work/site"]
trust_level = "trusted"
`;

beforeEach(async () => {
  sb = await makeHookSandbox();
  codexHome = join(sb.dir, 'codex-home');
  sb.env.CODEX_HOME = codexHome;
  await mkdir(codexHome, { recursive: true });
});
afterEach(async () => {
  await sb.cleanup();
});

class CodexSession {
  readonly id = randomUUID();
  turnId = randomUUID();
  get transcriptPath(): string {
    return join(codexHome, 'sessions', '2026', '12', '02', `rollout-2026-12-02T04-04-23-${this.id}.jsonl`);
  }
  base(event: string) {
    return { session_id: this.id, turn_id: this.turnId, transcript_path: this.transcriptPath, cwd: sb.project, hook_event_name: event, model: 'gpt-5', permission_mode: 'bypassPermissions' };
  }
  shell(cmd: string, callId = `call_${randomUUID().replace(/-/g, '').slice(0, 24)}`) {
    return { ...this.base('PreToolUse'), tool_name: 'Bash', tool_input: { command: cmd }, tool_use_id: callId };
  }
  prompt(text: string, newTurn = true) {
    if (newTurn) this.turnId = randomUUID();
    return { ...this.base('UserPromptSubmit'), prompt: text };
  }
}

describe('hooks install --agent codex', () => {
  it("writes skillopt's three hooks to $CODEX_HOME/hooks.json and trusts exactly them in config.toml, keeping the rest", async () => {
    await writeFile(configPath(), FOREIGN_CONFIG);
    await writeFile(hooksPath(), JSON.stringify({ hooks: { Stop: [{ hooks: [{ type: 'command', command: 'notify.sh' }] }] } }));
    const result = await codexSetup.install({ env: sb.env, scope: 'user', home: sb.home, cwd: sb.project, entry: ['node', HOOK_ENTRY] });
    expect(result).toMatchObject({ settingsPath: hooksPath(), trustPath: configPath(), changed: ['SessionStart', 'PreToolUse', 'UserPromptSubmit'], written: true });

    const hooks = JSON.parse(await readFile(hooksPath(), 'utf8')).hooks;
    expect(Object.keys(hooks).sort()).toEqual(['PreToolUse', 'SessionStart', 'Stop', 'UserPromptSubmit']);
    expect(hooks.PreToolUse).toEqual([{ matcher: 'Bash', hooks: [{ type: 'command', command: `${command()} hook PreToolUse --agent codex`, timeout: 10 }] }]);
    expect(hooks.Stop).toEqual([{ hooks: [{ type: 'command', command: 'notify.sh' }] }]);

    const config = await readFile(configPath(), 'utf8');
    // The user's text is kept byte for byte; the trust follows it.
    expect(config.startsWith(FOREIGN_CONFIG)).toBe(true);
    const state = (parse(config) as { hooks: { state: Record<string, { trusted_hash: string }> } }).hooks.state;
    expect(state).toEqual({
      [codexHookKey(hooksPath(), { event: 'SessionStart', groupIndex: 0, command: '' })]: {
        trusted_hash: codexHookHash({ event: 'SessionStart', groupIndex: 0, command: `${command()} hook SessionStart --agent codex`, timeout: 30 }),
      },
      [`${hooksPath()}:pre_tool_use:0:0`]: { trusted_hash: codexHookHash({ event: 'PreToolUse', groupIndex: 0, matcher: 'Bash', command: `${command()} hook PreToolUse --agent codex`, timeout: 10 }) },
      [`${hooksPath()}:user_prompt_submit:0:0`]: { trusted_hash: codexHookHash({ event: 'UserPromptSubmit', groupIndex: 0, command: `${command()} hook UserPromptSubmit --agent codex`, timeout: 10 }) },
    });

    // Again: nothing to do. Uninstall: hooks.json and config.toml as they were.
    expect(await codexSetup.install({ env: sb.env, scope: 'user', home: sb.home, cwd: sb.project, entry: ['node', HOOK_ENTRY] })).toMatchObject({ written: false });
    expect(await codexSetup.uninstall({ env: sb.env, scope: 'user', home: sb.home, cwd: sb.project })).toMatchObject({ written: true, trustPath: configPath() });
    expect(await readFile(configPath(), 'utf8')).toBe(FOREIGN_CONFIG);
    expect(JSON.parse(await readFile(hooksPath(), 'utf8'))).toEqual({ hooks: { Stop: [{ hooks: [{ type: 'command', command: 'notify.sh' }] }] } });
  });

  it('refuses a config.toml that is not valid TOML, in one line, and changes neither file', async () => {
    await writeFile(configPath(), 'model = "gpt-5\n');
    await expect(codexSetup.install({ env: sb.env, scope: 'user', home: sb.home, cwd: sb.project, entry: ['node', HOOK_ENTRY] })).rejects.toThrow(
      new RegExp(`^${configPath().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid TOML \\(.*\\); fix it first, skillopt will not overwrite it$`),
    );
    expect(await readFile(configPath(), 'utf8')).toBe('model = "gpt-5\n');
  });

  it('`skillopt hooks install --agent all` installs every agent’s hooks', async () => {
    const { runCli } = await import('../../cli/run-cli');
    const out: string[] = [];
    const code = await runCli(['hooks', 'install', '--agent', 'all'], { env: sb.env, cwd: sb.project, stdout: { write: (t: string) => out.push(t) }, stderr: { write: () => true } } as never);
    expect(code).toBe(0);
    expect(out.join('')).toMatch(/^installed skillopt hooks \(SessionStart, PreToolUse, UserPromptExpansion, UserPromptSubmit, SessionEnd\) in .*settings\.json\ninstalled skillopt Codex hooks \(SessionStart, PreToolUse, UserPromptSubmit\) in .*hooks\.json, trusted in .*config\.toml\ninstalled the skillopt pi extension \(extension\) in .*\/\.pi\/agent\/extensions\/skillopt\.ts\ninstalled skillopt Gemini CLI hooks \(SessionStart, BeforeAgent, AfterTool, SessionEnd, policy\) in .*\/\.gemini\/settings\.json, trusted in .*\/\.gemini\/policies\/skillopt\.toml\ninstalled skillopt Copilot hooks \(SessionStart, UserPromptSubmit, PreToolUse, SessionEnd\) in .*\/\.copilot\/hooks\/skillopt\.json\ninstalled the skillopt OpenCode plugin \(plugin, npm-install seed\) in .*\/\.config\/opencode\/plugins\/skillopt\.js\n$/);
    expect(existsSync(join(sb.home, '.claude', 'settings.json'))).toBe(true);
  });
});

describe('the Codex hooks', () => {
  const codexSkills = () => join(codexHome, 'skills');

  it('arms on a shell command that reads a pulled skill’s SKILL.md, with the call id and agent codex', async () => {
    await installOrgSkills(sb, [{ name: 'deploy', author: 'alice', version: 2, root: codexSkills() }]);
    const session = new CodexSession();
    const call = session.shell(`sed -n '1,200p' ${join(codexSkills(), 'deploy--alice', 'SKILL.md')}`);
    const run = await runHook(sb, 'PreToolUse --agent codex', call);
    expect(run).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const [invoked] = await outboxEvents(sb);
    expect(invoked).toMatchObject({
      signal: 'invoked',
      ref: { name: 'deploy', author: 'alice' },
      payload: { sessionId: session.id, toolUseId: call.tool_use_id, agent: 'codex', skillVersion: 2, transcriptPath: session.transcriptPath },
    });

    // The user's next prompt is the reaction; the same turn twice (hooks installed twice) counts once.
    await runHook(sb, 'UserPromptSubmit --agent codex', session.prompt('that was wrong, you skipped the tests'));
    await runHook(sb, 'UserPromptSubmit --agent codex', session.prompt('that was wrong, you skipped the tests', false));
    const reactions = (await outboxEvents(sb)).filter((e) => e.signal === 'reaction');
    expect(reactions.map((r) => r.payload.text)).toEqual(['that was wrong, you skipped the tests']);
    expect((await readHintFile(sb, session.id))?.remaining).toBe(2);
  });

  it('a prompt naming a pulled skill as $<name>--<author> invokes it (Codex injects it without a tool call), named by its turn', async () => {
    await installOrgSkills(sb, [{ name: 'deploy', author: 'alice', version: 3, root: codexSkills() }]);
    const session = new CodexSession();
    const first = session.prompt('please $deploy--alice ship it, and not $notes--bob');
    expect(await runHook(sb, 'UserPromptSubmit --agent codex', first)).toMatchObject({ code: 0, stdout: '' });
    // The same hook run again (installed twice): neither a second invocation nor a reaction to itself.
    await runHook(sb, 'UserPromptSubmit --agent codex', first);
    expect((await outboxEvents(sb)).map((e) => [e.signal, e.payload.toolUseId])).toEqual([['invoked', first.turn_id]]);
    expect((await outboxEvents(sb))[0]).toMatchObject({ ref: { name: 'deploy', author: 'alice' }, payload: { agent: 'codex', skillVersion: 3 } });
    // The next prompt is its reaction.
    await runHook(sb, 'UserPromptSubmit --agent codex', session.prompt('that was wrong'));
    expect((await outboxEvents(sb)).map((e) => e.signal)).toEqual(['invoked', 'reaction']);
    // A skill that is not pulled, or Claude Code's hook, never arms on a mention.
    const other = new CodexSession();
    await runHook(sb, 'UserPromptSubmit --agent codex', other.prompt('use $notes--bob'));
    await runHook(sb, 'UserPromptSubmit', { ...other.prompt('use $deploy--alice'), prompt_id: 'p1' });
    expect(await outboxEvents(sb)).toHaveLength(2);
  });

  it('never arms on another file, a local skill’s SKILL.md, or a tool other than the shell', async () => {
    await installOrgSkills(sb, [{ name: 'deploy', author: 'alice', version: 1, root: codexSkills() }]);
    // A local skill with an org-looking name, in the same root, that pull did not install.
    await mkdir(join(codexSkills(), 'notes--bob'), { recursive: true });
    await writeFile(join(codexSkills(), 'notes--bob', 'SKILL.md'), '---\nname: notes--bob\ndescription: mine\n---\n');
    const session = new CodexSession();
    for (const input of [
      session.shell('cat README.md'),
      session.shell(`cat ${join(codexSkills(), 'notes--bob', 'SKILL.md')}`),
      session.shell(`cat ${join(sb.project, 'deploy--alice', 'SKILL.md')}`),
      { ...session.shell(`cat ${join(codexSkills(), 'deploy--alice', 'SKILL.md')}`), tool_name: 'apply_patch' },
    ]) {
      expect(await runHook(sb, 'PreToolUse --agent codex', input)).toMatchObject({ code: 0, stdout: '' });
    }
    expect(await outboxEvents(sb)).toEqual([]);
  });

  it('SessionStart pulls into $CODEX_HOME/skills and records the session with agent codex', async () => {
    const store = await openStore({ url: `sqlite:${join(sb.skilloptHome, 'skillopt.db')}`, home: sb.skilloptHome });
    try {
      await publishPushed(store, { name: 'deploy', author: 'alice', body: '# Deploy\n', description: 'Use when deploying', contributors: ['alice'], createdBy: 'alice', baseVersion: 0 }, testKey());
      const session = new CodexSession();
      const run = await runHook(sb, 'SessionStart --agent codex', { ...session.base('SessionStart'), source: 'startup' }, { SKILLOPT_SESSION_START_WAIT: '1' });
      expect(run).toMatchObject({ code: 0, stdout: '' });
      expect(await readFile(join(codexSkills(), 'deploy--alice', 'SKILL.md'), 'utf8')).toMatch(/^---\nname: deploy--alice\ndescription: Use when deploying\n/);
      expect(existsSync(join(sb.userSkills, 'deploy--alice'))).toBe(false);
      expect(await store.attributions(session.id)).toEqual([expect.objectContaining({ agent: 'codex', skills: [] })]);
      const manifest = JSON.parse(await readFile(join(sb.skilloptHome, 'manifest.json'), 'utf8')) as { entries: { root: string }[] };
      expect(manifest.entries.map((e) => e.root)).toEqual([codexSkills()]);
    } finally {
      await store.close();
    }
  });
});
