// `skillopt owners list|add|remove <ref> [user]` and `skillopt skills sign`:
// who may change a skill, changed only by an owner's signature.
import type { Command } from 'commander';
import { formatSkillRef, parseSkillRef, type SkillRef } from '../core/skill-ref';
import { treeHash } from '../core/signing';
import { ownersOf, resolveKeys } from '../core/trust';
import { currentUser } from '../local/home';
import { signingKeyFor } from '../local/signing-key';
import type { TeamBackend } from '../team/backend';
import { parseVersionNumber } from './args';
import { CliError, type CliContext, type RegisterCommands } from './context';

/** The owners as the signed owner changes say (each checked against the keys the store lists). */
async function ownersNow(backend: TeamBackend, ref: SkillRef): Promise<string[]> {
  const signers = await backend.signers(ref);
  return [...ownersOf(ref, signers.owners, resolveKeys({}, signers).keysOf)].sort();
}

async function changeOwners(ctx: CliContext, action: 'add' | 'remove', refText: string, user: string): Promise<void> {
  const ref = parseSkillRef(refText);
  const by = currentUser(ctx.env);
  const at = new Date().toISOString();
  const key = await signingKeyFor(ctx.env);
  const signature = key.sign({ kind: 'owners', ref: formatSkillRef(ref), action, user, at }, by);
  const owners = await (await ctx.openBackend()).changeOwners(ref, { action, user, at, signature });
  ctx.print(`${formatSkillRef(ref)}: owners ${owners.join(', ')}`);
}

async function signVersion(ctx: CliContext, refText: string, version: number | undefined): Promise<void> {
  const ref = parseSkillRef(refText);
  const backend = await ctx.openBackend();
  const record = version === undefined ? await backend.current(ref) : await backend.getVersion(ref, version);
  if (!record) throw new CliError(`no ${formatSkillRef(ref)}${version === undefined ? '' : ` v${version}`} in the store`);
  const by = currentUser(ctx.env);
  const key = await signingKeyFor(ctx.env);
  const approval = key.sign({ kind: 'decide', ref: formatSkillRef(ref), version: record.version, tree: treeHash(record), action: 'approve' }, by);
  await backend.signVersion(ref, record.version, approval);
  ctx.print(`${formatSkillRef(ref)} v${record.version} is signed by ${by}: every machine may install it`);
}

export const registerOwners: RegisterCommands = (program: Command, ctx: CliContext) => {
  const owners = program
    .command('owners')
    .description("who may change a skill: its author, and whoever an owner adds (each change signed with the owner's key)");
  owners
    .command('list')
    .description("a skill's owners")
    .argument('<ref>', 'the skill, as <name>--<author>')
    .action(async (refText: string) => {
      const ref = parseSkillRef(refText);
      for (const owner of await ownersNow(await ctx.openBackend(), ref)) ctx.print(owner === ref.author ? `${owner} (author)` : owner);
    });
  for (const action of ['add', 'remove'] as const) {
    owners
      .command(action)
      .description(action === 'add' ? 'make someone an owner of a skill (you must own it)' : 'remove an owner (you must own the skill; its last owner stays)')
      .argument('<ref>', 'the skill, as <name>--<author>')
      .argument('<user>', 'their user name (SKILLOPT_USER on their machine)')
      .action((refText: string, user: string) => changeOwners(ctx, action, refText, user));
  }
};

/** `skills sign`, registered under the `skills` group. */
export function registerSignVersion(skills: Command, ctx: CliContext): void {
  skills
    .command('sign')
    .description('sign a version as it is, so every machine may install it (an owner signs a version published before signatures)')
    .argument('<ref>', 'the skill, as <name>--<author>')
    .argument('[version]', "the version (default: everyone's version now)", parseVersionNumber)
    .action((refText: string, version: number | undefined) => signVersion(ctx, refText, version));
}
