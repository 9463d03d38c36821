// `skillopt keys` and doctor's key and pull lines, in a sandbox: the secret
// key never appears in any output.
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../../cli/doctor';
import { addPins } from '../../local/pinned-keys';
import { recordPullRefusals } from '../../local/pull-refusals';
import { signingKeyPath } from '../../local/signing-key';
import type { Sandbox } from './helpers';
import { expectOneLineError, makeSandbox, run, skillText, writeSkill } from './helpers';
import { openStore } from '../../store/open-store';

let sb: Sandbox;
beforeEach(async () => {
  sb = await makeSandbox();
});
afterEach(async () => {
  await sb.cleanup();
});

const OTHER = 'c'.repeat(64);

async function secretHex(): Promise<string> {
  return (JSON.parse(await readFile(signingKeyPath(sb.env), 'utf8')) as { secretKey: string }).secretKey;
}

describe('skillopt keys', () => {
  it('init creates a key once; show gives its fingerprint, public key and place, never the secret', async () => {
    const none = await run(sb, ['keys', 'show']);
    expectOneLineError(none, /this machine has no signing key; run `skillopt keys init`/);
    const init = await run(sb, ['keys', 'init']);
    expect(init.code).toBe(0);
    expect(init.stdout).toMatch(/^created this machine's signing key ed25519:[0-9a-f]{16} in \S+signing-key \(mode 0600\); the team registers it under alice at your first push or decision\n/);
    const secret = await secretHex();
    expectOneLineError(await run(sb, ['keys', 'init']), /this machine already has a signing key, ed25519:[0-9a-f]{16}/);
    const show = await run(sb, ['keys', 'show', '--json']);
    const facts = JSON.parse(show.stdout) as { fingerprint: string; publicKey: string; source: string; user: string };
    expect(facts).toMatchObject({ user: 'alice', source: signingKeyPath(sb.env), publicKey: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const text = await run(sb, ['keys', 'show']);
    expect(text.stdout).toContain(facts.fingerprint);
    for (const r of [init, show, text]) expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it('init --adopt uses an SSH key where it is; a passphrase-protected one is refused in one line', async () => {
    const open = join(sb.dir, 'id_open');
    const locked = join(sb.dir, 'id_locked');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', open], { stdio: 'ignore' });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'hunter2', '-f', locked], { stdio: 'ignore' });
    expectOneLineError(await run(sb, ['keys', 'init', '--adopt', locked]), /is protected by a passphrase/);
    const adopted = await run(sb, ['keys', 'init', '--adopt', 'id_open'], {});
    // Relative to the command's folder: the sandbox's project, where there is no such file.
    expectOneLineError(adopted, /cannot read the SSH key .*project\/id_open/);
    const ok = await run(sb, ['keys', 'init', '--adopt', open]);
    expect(ok.stdout).toMatch(new RegExp(`^adopted ${open} as this machine's signing key ed25519:[0-9a-f]{16}; skillopt reads it there each time and keeps no copy`));
    expect(JSON.parse((await run(sb, ['keys', 'show', '--json'])).stdout)).toMatchObject({ source: open });
  });

  it('pins lists the pinned keys by fingerprint; forget drops one and says what that means', async () => {
    expect((await run(sb, ['keys', 'pins'])).stdout).toMatch(/^no keys pinned yet/);
    await addPins(sb.skilloptHome, { bob: OTHER, '@admin': 'd'.repeat(64) });
    const pins = await run(sb, ['keys', 'pins']);
    expect(pins.stdout).toMatch(/^@admin {2}ed25519:[0-9a-f]{16} {2}\(the team admin key\)\nbob {5}ed25519:[0-9a-f]{16}\n$/);
    const forget = await run(sb, ['keys', 'forget', 'bob']);
    expect(forget.stdout).toMatch(/^forgot bob's pinned key ed25519:[0-9a-f]{16}: the next pull trusts whatever key the team has for bob now, as on first sight/);
    expect(JSON.parse((await run(sb, ['keys', 'pins', '--json'])).stdout)).toEqual([expect.objectContaining({ user: '@admin' })]);
    expectOneLineError(await run(sb, ['keys', 'forget', 'bob']), /no key is pinned for bob/);
  });
});

describe('keys rotate and keys replace', () => {
  async function pushDeploy(env: NodeJS.ProcessEnv = {}): Promise<void> {
    const dir = await writeSkill(join(sb.dir, 'deploy'), skillText('name: deploy', `# Deploy\n\n1. Step ${Math.random()}.\n`));
    const pushed = await run(sb, ['push', dir], env);
    expect(pushed.stderr).toBe('');
  }
  const teamKey = async (user: string) => {
    const store = await openStore({ url: `sqlite:${join(sb.skilloptHome, 'skillopt.db')}` });
    try {
      return await store.signingKey(user);
    } finally {
      await store.close();
    }
  };

  it("rotate registers a new key signed by the old one, keeps the old as .old, and pushes go on; a teammate's machine follows it", async () => {
    await pushDeploy();
    const old = JSON.parse((await run(sb, ['keys', 'show', '--json'])).stdout) as { publicKey: string };
    expect(await teamKey('alice')).toBe(old.publicKey);
    // A teammate pulls (pinning alice's key) before the rotation.
    const bob = { HOME: join(sb.dir, 'bob-home'), SKILLOPT_HOME: join(sb.dir, 'bob-skillopt'), SKILLOPT_USER: 'bob', SKILLOPT_DATABASE_URL: `sqlite:${join(sb.skilloptHome, 'skillopt.db')}` };
    expect((await run(sb, ['pull'], bob)).stdout).toMatch(/installed\s+deploy--alice\s+v1/);

    const rotated = await run(sb, ['keys', 'rotate']);
    expect(rotated.stdout).toMatch(/^alice's key on the team is now ed25519:[0-9a-f]{16}/);
    const next = JSON.parse((await run(sb, ['keys', 'show', '--json'])).stdout) as { publicKey: string };
    expect(next.publicKey).not.toBe(old.publicKey);
    expect(await teamKey('alice')).toBe(next.publicKey);
    expect(JSON.parse(await readFile(`${signingKeyPath(sb.env)}.old`, 'utf8'))).toHaveProperty('secretKey');
    await pushDeploy();
    // Bob's machine pinned the old key, and follows the change the old key signed.
    expect((await run(sb, ['pull'], bob)).stdout).toMatch(/updated\s+deploy--alice\s+v2/);
  });

  it("replace is the team admin's: refused without the admin key, accepted with it", async () => {
    await pushDeploy();
    // The admin's own machine and key.
    const admin = { SKILLOPT_HOME: join(sb.dir, 'admin-skillopt'), SKILLOPT_USER: 'root-admin', SKILLOPT_DATABASE_URL: `sqlite:${join(sb.skilloptHome, 'skillopt.db')}` };
    expect((await run(sb, ['keys', 'init'], admin)).code).toBe(0);
    const adminKey = (JSON.parse((await run(sb, ['keys', 'show', '--json'], admin)).stdout) as { publicKey: string }).publicKey;
    const lost = 'd'.repeat(64);
    expectOneLineError(await run(sb, ['keys', 'replace', 'alice', lost], admin), /a key change for alice must be signed by their current key \(ed25519:[0-9a-f]{16}\) or by the team's admin key/);
    const replaced = await run(sb, ['keys', 'replace', 'alice', lost], { ...admin, SKILLOPT_ADMIN_KEY: adminKey });
    expect(replaced.stdout).toMatch(/^alice's key on the team is now ed25519:[0-9a-f]{16}, signed by the team admin key/);
    expect(await teamKey('alice')).toBe(lost);
    expectOneLineError(await run(sb, ['keys', 'replace', 'alice', 'not-a-key'], admin), /the new key must be 64 hex digits/);
  });
});

describe('doctor: the signing key and the last pull', () => {
  // Temporal unreachable answers at once; these lines need no server.
  const offline = { TEMPORAL_ADDRESS: '127.0.0.1:1', SKILLOPT_CLAUDE_BIN: '/bin/true' };
  const checks = async () => {
    const r = await run(sb, ['doctor', '--json'], offline);
    return Object.fromEntries((JSON.parse(r.stdout) as DoctorReport).checks.map((c) => [c.id, c]));
  };

  it('no key: informs; a key: its fingerprint, registered once a pull pinned it for this user, ✗ when the team has another', async () => {
    expect((await checks())['signing-key']).toMatchObject({ status: 'info', detail: expect.stringMatching(/^none yet/) });
    await run(sb, ['keys', 'init']);
    const secret = await secretHex();
    const fresh = (await checks())['signing-key']!;
    expect(fresh).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^ed25519:[0-9a-f]{16} \(.*\); the team registers it under alice at the first push or decision$/) });
    const publicKey = (JSON.parse((await run(sb, ['keys', 'show', '--json'])).stdout) as { publicKey: string }).publicKey;
    await addPins(sb.skilloptHome, { alice: publicKey });
    expect((await checks())['signing-key']).toMatchObject({ status: 'ok', detail: expect.stringMatching(/registered with the team as alice$/) });
    await addPins(sb.skilloptHome, { alice: OTHER });
    const other = await run(sb, ['doctor'], offline);
    expect(other.stdout).toMatch(/^✗ signing key: ed25519:[0-9a-f]{16} .*, but the team has ed25519:[0-9a-f]{16} for alice: what this machine signs is refused; fix: /m);
    expect(other.stdout).not.toContain(secret);
  });

  it('a version the last pull refused is ✗ with why', async () => {
    expect((await checks()).pull).toMatchObject({ status: 'ok' });
    await recordPullRefusals(sb.skilloptHome, join(sb.userSkills), ['deploy--bob'], [{ ref: 'deploy--bob', version: 3, why: 'v3 is not signed', at: '2026-12-07T10:00:00.000Z' }]);
    const r = await run(sb, ['doctor'], offline);
    expect(r.stdout).toMatch(/^✗ last pull: refused deploy--bob v3 at 2026-12-07T10:00:00.000Z: v3 is not signed; fix: ask its owner/m);
  });
});
