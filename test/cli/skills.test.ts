// skills list|show|history|diff, help and usage errors, in-process.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSkillDocument } from '../../core/skill-document';
import { openStore } from '../../store/open-store';
import type { Sandbox } from './helpers';
import { expectOneLineError, makeSandbox, run, skillText, writeSkill } from './helpers';

let sb: Sandbox;
beforeEach(async () => {
  sb = await makeSandbox();
});
afterEach(async () => {
  await sb.cleanup();
});

async function publishTwoVersions(): Promise<void> {
  const dir = await writeSkill(join(sb.dir, 'deploy'), skillText('name: deploy\ndescription: Use when deploying', '# Deploy\n\n1. Test.\n2. Ship.\n'));
  expect((await run(sb, ['push', dir])).code).toBe(0);
  await writeSkill(dir, skillText('name: deploy\ndescription: Use when deploying', '# Deploy\n\n1. Test.\n2. Tag.\n3. Ship.\n'));
  expect((await run(sb, ['owners', 'add', 'deploy--alice', 'bob'])).code).toBe(0);
  expect((await run(sb, ['push', dir, '--author', 'alice'], { SKILLOPT_USER: 'bob' })).code).toBe(0);
  const other = await writeSkill(join(sb.dir, 'lint'), skillText('name: lint\nauthor: carol', 'Run the linter.\n'));
  expect((await run(sb, ['push', other], { SKILLOPT_USER: 'carol' })).code).toBe(0);
}

describe('skills list', () => {
  it('lists the version of each skill you get, with its state, in aligned columns', async () => {
    await publishTwoVersions();
    const r = await run(sb, ['skills', 'list']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^REF\s+VERSION\s+STATE\s+UPDATED\s+DESCRIPTION$/);
    expect(lines[1]).toMatch(/^deploy--alice\s+v2\s+stable\s+\d{4}-\d\d-\d\dT\S+\s+Use when deploying$/);
    expect(lines[2]).toMatch(/^lint--carol\s+v1\s+/);
    // Columns line up: every row's version starts where the header's does.
    const col = lines[0]!.indexOf('VERSION');
    expect(lines.slice(1).every((l) => l.slice(col).startsWith('v'))).toBe(true);
  });

  it('prints records with --json, and says when the store is empty', async () => {
    expect((await run(sb, ['skills', 'list'])).stdout).toMatch(/no skills in the store yet/);
    expect(JSON.parse((await run(sb, ['skills', 'list', '--json'])).stdout)).toEqual([]);
    await publishTwoVersions();
    const records = JSON.parse((await run(sb, ['skills', 'list', '--json'])).stdout) as unknown[];
    expect(records).toEqual([
      expect.objectContaining({ ref: 'deploy--alice', name: 'deploy', author: 'alice', version: 2, description: 'Use when deploying', createdBy: 'bob' }),
      expect.objectContaining({ ref: 'lint--carol', version: 1 }),
    ]);
  });
});

describe('skills show', () => {
  it('prints the latest or a given version as SKILL.md, or the record as JSON', async () => {
    await publishTwoVersions();
    const latest = await run(sb, ['skills', 'show', 'deploy--alice']);
    expect(parseSkillDocument(latest.stdout).frontmatter).toMatchObject({ name: 'deploy--alice', version: 2, contributors: ['alice', 'bob'] });
    const v1 = await run(sb, ['skills', 'show', 'deploy--alice', '--version', '1']);
    expect(parseSkillDocument(v1.stdout).body).toBe('# Deploy\n\n1. Test.\n2. Ship.\n');
    const json = JSON.parse((await run(sb, ['skills', 'show', 'deploy--alice', '--version', 'v1', '--json'])).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ ref: 'deploy--alice', version: 1, createdBy: 'alice', body: '# Deploy\n\n1. Test.\n2. Ship.\n' });
  });

  it('fails in one line for an unknown skill, version or malformed ref', async () => {
    await publishTwoVersions();
    expectOneLineError(await run(sb, ['skills', 'show', 'nope--alice']), /no skill nope--alice in the store; see `skillopt skills list`/);
    expectOneLineError(await run(sb, ['skills', 'show', 'deploy--alice', '--version', '9']), /deploy--alice has no version 9; its versions are 1 to 2/);
    expectOneLineError(await run(sb, ['skills', 'show', 'deploy']), /not a shared skill ref; expected <name>--<author>/);
    const bad = await run(sb, ['skills', 'show', 'deploy--alice', '--version', 'zero']);
    expectOneLineError(bad, /'--version <n>' argument 'zero' is invalid.*see `skillopt skills show --help`/);
    expect(bad.code).toBe(2);
  });
});

describe('skills history', () => {
  it('lists versions with who published them, when, and the body size', async () => {
    await publishTwoVersions();
    const r = await run(sb, ['skills', 'history', 'deploy--alice']);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^VERSION\s+STATE\s+CREATED_BY\s+CREATED_AT\s+BODY_BYTES\s+PRE-PUBLISH CHECK\s+DECIDED$/);
    // Who or what made the last state change, and why: bob's push replaced v1.
    expect(lines[1]).toMatch(/^v1\s+retired\s+alice\s+\S+\s+28\s+-\s+bob: replaced by v2$/);
    expect(lines[2]).toMatch(/^v2\s+stable\s+bob\s+\S+\s+36\s+-\s*$/);
    const json = JSON.parse((await run(sb, ['skills', 'history', 'deploy--alice', '--json'])).stdout) as unknown[];
    expect(json).toEqual([
      expect.objectContaining({
        version: 1,
        state: 'retired',
        createdBy: 'alice',
        bodyBytes: 28,
        transitions: [expect.objectContaining({ from: null, to: 'stable', decidedBy: 'alice' }), expect.objectContaining({ from: 'stable', to: 'retired', decidedBy: 'bob', reason: 'replaced by v2' })],
      }),
      expect.objectContaining({ version: 2, state: 'stable', createdBy: 'bob', bodyBytes: 36, contributors: ['alice', 'bob'] }),
    ]);
    expectOneLineError(await run(sb, ['skills', 'history', 'ghost--alice']), /no skill ghost--alice/);
  });

  it('a version the pre-publish check turned down says so, and why', async () => {
    const CHECK = { decision: 'reject' as const, addressed: 0, failures: 1, worse: 1, passes: 1, unanswered: 0, reasons: ['makes a passing session worse: drops the tests'] };
    await publishTwoVersions();
    const store = await openStore({ home: sb.skilloptHome });
    try {
      await store.publishVersion({
        name: 'deploy',
        author: 'alice',
        body: '# Deploy\n\n1. Ship.\n',
        description: 'Use when deploying',
        contributors: ['alice', 'skillopt'],
        createdBy: 'skillopt',
        baseVersion: 2,
        state: 'rejected',
        decidedBy: 'the pre-publish check',
        reason: 'turned down before anyone got it (addressed 0 of 1 failure, made worse 1 of 1 pass): drops the tests',
        precheck: CHECK,
      });
    } finally {
      await store.close();
    }
    const lines = (await run(sb, ['skills', 'history', 'deploy--alice'])).stdout.trimEnd().split('\n');
    // The check's counts, then the reason cut to the column's 100 characters (`--json` has it whole).
    expect(lines[3]).toMatch(
      /^v3\s+rejected\s+skillopt\s+\S+\s+\d+\s+turned down \(addressed 0 of 1 failure, made worse 1 of 1 pass\)\s+the pre-publish check: turned down before anyone got it \(addressed 0 of 1 failure, made worse 1 of …$/,
    );
    const json = JSON.parse((await run(sb, ['skills', 'history', 'deploy--alice', '--json'])).stdout) as Array<{ version: number; precheck: unknown }>;
    expect(json.map((v) => [v.version, v.precheck])).toEqual([
      [1, null],
      [2, null],
      [3, CHECK],
    ]);
    // What everyone gets is still v2.
    expect(lines[2]).toMatch(/^v2\s+stable\s+bob/);
  });
});

describe('skills diff', () => {
  it('prints a unified diff of two versions\' bodies', async () => {
    await publishTwoVersions();
    const r = await run(sb, ['skills', 'diff', 'deploy--alice', '1', '2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--- deploy--alice@v1');
    expect(r.stdout).toContain('+++ deploy--alice@v2');
    expect(r.stdout).toMatch(/^-2\. Ship\.$/m);
    expect(r.stdout).toMatch(/^\+2\. Tag\.$/m);
    expect(r.stdout).toMatch(/^\+3\. Ship\.$/m);
    const json = JSON.parse((await run(sb, ['skills', 'diff', 'deploy--alice', '1', '2', '--json'])).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ ref: 'deploy--alice', from: 1, to: 2, changed: true, bodyChanged: true, descriptionChanged: false });
    expect(json.patch).toBe(r.stdout);
  });

  it('shows a change of the description, which push versions too', async () => {
    const dir = await writeSkill(join(sb.dir, 'deploy'), skillText('name: deploy\ndescription: Use when deploying', '# Deploy\n'));
    await run(sb, ['push', dir]);
    await writeSkill(dir, skillText('name: deploy\ndescription: "Use when shipping: tags, releases"', '# Deploy\n'));
    await run(sb, ['push', dir]);
    const r = await run(sb, ['skills', 'diff', 'deploy--alice', '1', '2']);
    expect(r.stdout).toMatch(/^-description: Use when deploying$/m);
    expect(r.stdout).toMatch(/^\+description: "Use when shipping: tags, releases"$/m);
    expect(r.stdout).not.toMatch(/^[-+]# Deploy/m);
    const json = JSON.parse((await run(sb, ['skills', 'diff', 'deploy--alice', '1', '2', '--json'])).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ changed: true, bodyChanged: false, descriptionChanged: true });
  });

  it('fails in one line for an unknown version or a version that is not a number', async () => {
    await publishTwoVersions();
    expectOneLineError(await run(sb, ['skills', 'diff', 'deploy--alice', '1', '3']), /has no version 3/);
    const bad = await run(sb, ['skills', 'diff', 'deploy--alice', 'one', '2']);
    expectOneLineError(bad, /argument 'v1'.*see `skillopt skills diff --help`/);
    expect(bad.code).toBe(2);
  });
});

describe('usage', () => {
  it('shows help for every command on stdout and exits 0', async () => {
    for (const args of [['--help'], ['push', '--help'], ['pull', '--help'], ['skills', '--help'], ['skills', 'diff', '--help'], ['up', '--help']]) {
      const r = await run(sb, args);
      expect(r, args.join(' ')).toMatchObject({ code: 0, stderr: '' });
      expect(r.stdout).toMatch(/^Usage: skillopt/);
    }
    const up = await run(sb, ['up', '--help']);
    expect(up.stdout).toMatch(/--temporal-port <n>.*\(default: 7233\)/s);
    expect(up.stdout).toMatch(/--ui-port <n>.*\(default: 8233\)/s);
    expect(up.stdout).toMatch(/--home <dir>/);
  });

  it('turns every usage error into one line and exit 2', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /`skillopt` needs a command: push, pull, skills, approve, reject, owners, report, status, hooks, keys, doctor, setup, up, dashboard/],
      [['skills'], /`skillopt skills` needs a command: list, show, history, diff, set-rollout, sign/],
      [['skills', 'set-rollout', 'deploy--alice', 'sometimes'], /rollout policy must be one of canary, approval, canary\+approval, direct|"sometimes"/],
      [['approve', 'deploy--alice', 'latest'], /a version is a whole number/],
      [['pul'], /unknown command 'pul' \(Did you mean pull\?\); see `skillopt --help`/],
      [['push'], /missing required argument 'skill-dir'; see `skillopt push --help`/],
      [['push', 'a', 'b'], /too many arguments for 'push'/],
      [['pull', '--to', 'elsewhere'], /--to must be "user" or "project"/],
      [['skills', 'list', '--bogus'], /unknown option '--bogus'; see `skillopt skills list --help`/],
      [['up', '--ui-port', '70000'], /a port is a whole number from 1 to 65535/],
    ];
    for (const [args, pattern] of cases) {
      const r = await run(sb, args);
      expectOneLineError(r, pattern);
      expect(r.code, args.join(' ')).toBe(2);
    }
  });
});
