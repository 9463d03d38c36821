// `skillopt keys init|show|rotate|replace|pins|forget`: this machine's signing key (local/signing-key.ts)
// and the teammates' keys it pinned (local/pinned-keys.ts). Nothing here prints,
// logs or sends any part of the secret key.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { keyFingerprint } from '../core/signing';
import { ADMIN_PIN } from '../core/trust';
import { currentUser, expandHome, skilloptHome } from '../local/home';
import { forgetPin, pinnedKeysPath, readPinnedKeys } from '../local/pinned-keys';
import { adoptSshKey, createSigningKey, publicKeyFromText, readSigningKey, rotateSigningKey, type SigningKey } from '../local/signing-key';
import { CliError, type CliContext, type RegisterCommands } from './context';

/** The env with SKILLOPT_HOME resolved against the command's cwd (the key functions read the env alone). */
function homeEnv(ctx: CliContext): NodeJS.ProcessEnv {
  return { ...ctx.env, SKILLOPT_HOME: skilloptHome(ctx.env, ctx.cwd) };
}

/** What `keys show --json` prints: the public half and where the key is, never the secret. */
function keyFacts(ctx: CliContext, key: SigningKey) {
  return { user: currentUser(ctx.env), fingerprint: keyFingerprint(key.publicKey), publicKey: key.publicKey, source: key.source };
}

async function runInit(ctx: CliContext, flags: { adopt?: string }): Promise<void> {
  const env = homeEnv(ctx);
  const existing = await readSigningKey(env);
  if (existing) {
    throw new CliError(`this machine already has a signing key, ${keyFingerprint(existing.publicKey)} (${existing.source}); \`skillopt keys show\` shows it`);
  }
  const user = currentUser(ctx.env);
  const registered = `the team registers it under ${user} at your first push or decision`;
  if (flags.adopt !== undefined) {
    const path = resolve(ctx.cwd, expandHome(flags.adopt, ctx.env));
    const key = await adoptSshKey(path, env);
    ctx.print(`adopted ${path} as this machine's signing key ${keyFingerprint(key.publicKey)}; skillopt reads it there each time and keeps no copy; ${registered}`);
    return;
  }
  const key = await createSigningKey(env);
  ctx.print(`created this machine's signing key ${keyFingerprint(key.publicKey)} in ${key.source} (mode 0600); ${registered}`);
  ctx.print('back it up: a new key needs `skillopt keys rotate` signed by this one, or a team admin');
}

async function runShow(ctx: CliContext, flags: { json?: boolean }): Promise<void> {
  const key = await readSigningKey(homeEnv(ctx));
  if (!key) throw new CliError('this machine has no signing key; run `skillopt keys init` (or push, which creates one)');
  const facts = keyFacts(ctx, key);
  if (flags.json) {
    ctx.printJson(facts);
    return;
  }
  ctx.print(`fingerprint  ${facts.fingerprint}`);
  ctx.print(`public key   ${facts.publicKey}`);
  ctx.print(`kept in      ${facts.source}`);
  ctx.print(`signs as     ${facts.user}`);
}

async function runPins(ctx: CliContext, flags: { json?: boolean }): Promise<void> {
  const home = skilloptHome(ctx.env, ctx.cwd);
  const pins = await readPinnedKeys(home);
  const rows = Object.entries(pins).map(([user, key]) => ({ user, fingerprint: keyFingerprint(key), publicKey: key }));
  if (flags.json) {
    ctx.printJson(rows);
    return;
  }
  if (rows.length === 0) {
    ctx.print(`no keys pinned yet (${pinnedKeysPath(home)}); \`skillopt pull\` pins each signer's key the first time it sees it`);
    return;
  }
  const width = Math.max(...rows.map((r) => r.user.length));
  for (const row of rows) ctx.print(`${row.user.padEnd(width)}  ${row.fingerprint}${row.user === ADMIN_PIN ? '  (the team admin key)' : ''}`);
}

async function runForget(ctx: CliContext, user: string): Promise<void> {
  const home = skilloptHome(ctx.env, ctx.cwd);
  const key = await forgetPin(home, user);
  if (key === undefined) throw new CliError(`no key is pinned for ${user}; \`skillopt keys pins\` lists the pinned ones`);
  ctx.print(
    `forgot ${user}'s pinned key ${keyFingerprint(key)}: the next pull trusts whatever key the team has for ${user} now, as on first sight, ` +
      `and installs what it signed; do this only when ${user} told you, not the store, that they changed keys`,
  );
}

async function runRotate(ctx: CliContext): Promise<void> {
  const user = currentUser(ctx.env);
  const backend = await ctx.openBackend();
  const next = await rotateSigningKey(homeEnv(ctx), async (key, old) => {
    const at = new Date().toISOString();
    await backend.replaceKey({ user, key: key.publicKey, at, signature: old.sign({ kind: 'key', user, key: key.publicKey, at }, user) });
  });
  ctx.print(`${user}'s key on the team is now ${keyFingerprint(next.publicKey)} (${next.source}); the old one is kept as ${next.source}.old and signs nothing more`);
  ctx.print("teammates' machines follow the change at their next pull: the old key signed it");
}

async function runReplace(ctx: CliContext, user: string, publicKeyText: string): Promise<void> {
  const key = publicKeyFromText(publicKeyText);
  if (!key) throw new CliError('the new key must be 64 hex digits (`skillopt keys show` on their machine) or an `ssh-ed25519 AAAA…` line');
  const admin = await readSigningKey(homeEnv(ctx));
  if (!admin) throw new CliError('this machine has no signing key; the team admin key is the one named by SKILLOPT_ADMIN_KEY where the store is');
  const at = new Date().toISOString();
  await (await ctx.openBackend()).replaceKey({ user, key, at, signature: admin.sign({ kind: 'key', user, key, at }, ADMIN_PIN) });
  ctx.print(`${user}'s key on the team is now ${keyFingerprint(key)}, signed by the team admin key ${keyFingerprint(admin.publicKey)}`);
  ctx.print(`machines that pinned ${user}'s old key follow the change if they pinned this admin key; others refuse it until \`skillopt keys forget ${user}\``);
}

export const registerKeys: RegisterCommands = (program: Command, ctx: CliContext) => {
  const keys = program
    .command('keys')
    .description("this machine's signing key, and the teammates' keys it pinned")
    .addHelpText(
      'after',
      '\nEvery change to a skill (push, approve, reject, rollout, owners) is signed with this machine\'s key,\n' +
        'which never leaves it; the team registers its public half under your user name the first time you use it.\n' +
        'Every pull checks what it installs against the keys it pinned when it first saw them.',
    );
  keys
    .command('init')
    .description('create this machine\'s signing key (ed25519), or adopt an existing SSH key with --adopt')
    .option('--adopt <ssh-private-key>', 'use this unencrypted OpenSSH ed25519 key (e.g. ~/.ssh/id_ed25519) where it is, instead of a new key')
    .action((flags: { adopt?: string }) => runInit(ctx, flags));
  keys
    .command('show')
    .description("this machine's signing key: its fingerprint, public key and where it is kept (never the secret)")
    .option('--json', 'print it as JSON')
    .action((flags: { json?: boolean }) => runShow(ctx, flags));
  keys
    .command('pins')
    .description("the teammates' keys this machine pinned on first sight ($SKILLOPT_HOME/pinned-keys.json), by fingerprint")
    .option('--json', 'print them as JSON')
    .action((flags: { json?: boolean }) => runPins(ctx, flags));
  keys
    .command('rotate')
    .description("replace this machine's signing key with a new one, signed by the old (teammates' machines follow the change)")
    .action(() => runRotate(ctx));
  keys
    .command('replace')
    .argument('<user>', 'whose key to replace (one who lost theirs)')
    .argument('<public-key>', 'their new public key: 64 hex digits, or an `ssh-ed25519 AAAA…` line')
    .description("team admin only: replace a person's key, signed by the admin key (SKILLOPT_ADMIN_KEY where the store is)")
    .action((user: string, publicKey: string) => runReplace(ctx, user, publicKey));
  keys
    .command('forget')
    .argument('<user>', 'whose pinned key to drop')
    .description("drop a teammate's pinned key, for a person who really changed keys: the next pull pins the team's key for them as on first sight")
    .action((user: string) => runForget(ctx, user));
};
