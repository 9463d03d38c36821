// `skillopt skills list|show|history|diff`: read-only views of the store.
import { versionStateLabel } from '../core/rollout-types';
import { precheckLine } from '../core/precheck';
import type { Command } from 'commander';
import { formatSkillRef, parseSkillRef } from '../core/skill-ref';
import { currentUser } from '../local/home';
import type { SkillRef } from '../core/skill-ref';
import type { SkillVersion } from '../store/types';
import { isStub, type SkillSource } from '../team/skill-source';
import { parseVersionNumber } from './args';
import type { CliContext, RegisterCommands } from './context';
import { CliError } from './context';
import { diffVersions } from '../sync/diff';
import { renderInstalledSkill } from '../sync/pull-skills';

export { diffVersions } from '../sync/diff';
import { registerSignVersion } from './owners';
import { registerSetRollout } from './rollout';
import { formatTable } from './table';

function bodyBytes(v: SkillVersion): number {
  return Buffer.byteLength(v.body, 'utf8');
}

/** The record as shown by --json: the stored fields plus the ref. */
export function versionRecord(v: SkillVersion): Record<string, unknown> {
  return { ref: formatSkillRef(v), ...v, bodyBytes: bodyBytes(v) };
}

async function currentOrFail(store: SkillSource, ref: SkillRef): Promise<SkillVersion> {
  const current = await store.current(ref);
  if (!current) throw new CliError(`no skill ${formatSkillRef(ref)} in the store; see \`skillopt skills list\``);
  return current;
}

async function versionOrFail(store: SkillSource, ref: SkillRef, version: number): Promise<SkillVersion> {
  const found = await store.getVersion(ref, version);
  if (found) return found;
  const versions = await store.history(ref);
  if (versions.length === 0) throw new CliError(`no skill ${formatSkillRef(ref)} in the store; see \`skillopt skills list\``);
  throw new CliError(`${formatSkillRef(ref)} has no version ${version}; its versions are 1 to ${versions.at(-1)!.version}`);
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

async function list(ctx: CliContext, flags: { json?: boolean }): Promise<void> {
  const store = await ctx.openBackend();
  // What this user gets (the candidate when in a skill's canary cohort); asked with nothing known, every skill comes whole.
  const skills = (await store.list(currentUser(ctx.env))).filter((v): v is SkillVersion => !isStub(v));
  if (flags.json) return ctx.printJson(skills.map(versionRecord));
  if (skills.length === 0) return ctx.print('no skills in the store yet; publish one with `skillopt push <skill-dir>`');
  ctx.print(
    formatTable(
      ['REF', 'VERSION', 'STATE', 'UPDATED', 'DESCRIPTION'],
      skills.map((v) => [formatSkillRef(v), `v${v.version}`, v.state, v.createdAt, oneLine(v.description, 70)]),
    ),
  );
}

async function show(ctx: CliContext, refText: string, flags: { version?: number; json?: boolean; files?: boolean }): Promise<void> {
  const ref = parseSkillRef(refText);
  const store = await ctx.openBackend();
  const v = flags.version === undefined ? await currentOrFail(store, ref) : await versionOrFail(store, ref, flags.version);
  if (flags.files) {
    // The tree as pull installs it: SKILL.md as rendered, then every other file.
    const skillMd = Buffer.byteLength(renderInstalledSkill(v), 'utf8');
    const rows = [{ path: 'SKILL.md', size: skillMd, executable: false }, ...v.files];
    if (flags.json) return ctx.printJson(rows);
    return ctx.print(formatTable(['PATH', 'SIZE', 'MODE'], rows.map((f) => [f.path, String(f.size), f.executable ? '755' : '644']), { alignRight: [1] }));
  }
  if (flags.json) return ctx.printJson(versionRecord(v));
  ctx.stdout.write(renderInstalledSkill(v));
}

async function history(ctx: CliContext, refText: string, flags: { json?: boolean }): Promise<void> {
  const ref = parseSkillRef(refText);
  const store = await ctx.openBackend();
  const [versions, transitions] = await Promise.all([store.history(ref), store.transitions(ref)]);
  if (versions.length === 0) throw new CliError(`no skill ${formatSkillRef(ref)} in the store; see \`skillopt skills list\``);
  const changesOf = (v: SkillVersion) => transitions.filter((t) => t.version === v.version).map(({ from, to, decidedBy, reason, at }) => ({ from, to, decidedBy, reason, at }));
  if (flags.json) {
    return ctx.printJson(
      versions.map((v) => ({
        version: v.version,
        state: v.state,
        createdBy: v.createdBy,
        createdAt: v.createdAt,
        bodyBytes: bodyBytes(v),
        contributors: v.contributors,
        scope: v.scope,
        // What the pre-publish check said of it; null: not checked (pushed by a person, or from before the check).
        precheck: v.precheck ?? null,
        transitions: changesOf(v),
      })),
    );
  }
  // The last decision on each version: who or what made it, and why (a version its publisher did not decide the
  // state of at birth, one the pre-publish check turned down, says so too).
  const decided = (v: SkillVersion): string => {
    const last = changesOf(v).at(-1);
    return last && (last.from !== null || last.decidedBy !== v.createdBy) ? oneLine(`${last.decidedBy}: ${last.reason}`, 100) : '';
  };
  ctx.print(
    formatTable(
      ['VERSION', 'STATE', 'CREATED_BY', 'CREATED_AT', 'BODY_BYTES', 'PRE-PUBLISH CHECK', 'DECIDED'],
      versions.map((v) => [`v${v.version}`, versionStateLabel(v), v.createdBy, v.createdAt, String(bodyBytes(v)), v.precheck ? precheckLine(v.precheck) : '-', decided(v)]),
      { alignRight: [4] },
    ),
  );
}

async function diff(ctx: CliContext, refText: string, v1: number, v2: number, flags: { json?: boolean }): Promise<void> {
  const ref = parseSkillRef(refText);
  const store = await ctx.openBackend();
  const from = await versionOrFail(store, ref, v1);
  const to = await versionOrFail(store, ref, v2);
  const { patch, files, bodyChanged, descriptionChanged, frontmatterChanged } = await diffVersions(formatSkillRef(ref), from, to, store);
  if (flags.json) {
    const changed = bodyChanged || frontmatterChanged || files.length > 0;
    return ctx.printJson({ ref: formatSkillRef(ref), from: v1, to: v2, changed, bodyChanged, descriptionChanged, frontmatterChanged, files, patch });
  }
  ctx.stdout.write(patch);
}

export const registerSkills: RegisterCommands = (program: Command, ctx: CliContext) => {
  const skills = program.command('skills').description('inspect the shared skills in the store, and set how their candidates roll out');
  skills
    .command('list')
    .description('every shared skill with the version you get (stable, or a candidate in its canary) and its state')
    .option('--json', 'print the records as JSON')
    .action((flags: { json?: boolean }) => list(ctx, flags));
  skills
    .command('show')
    .description('print a version of a skill as the SKILL.md pull would install, or with --files its whole tree')
    .argument('<ref>', 'the skill, as <name>--<author>')
    .option('--version <n>', 'which version (default: the stable one, everyone\'s)', parseVersionNumber)
    .option('--files', "list the version's files (path, size, mode) instead")
    .option('--json', 'print the stored record (with --files: the file list) as JSON instead')
    .action((ref: string, flags: { version?: number; json?: boolean; files?: boolean }) => show(ctx, ref, flags));
  skills
    .command('history')
    .description('every version of a skill, oldest first: its state, who published it and when, and who or what decided its last state change and why')
    .argument('<ref>', 'the skill, as <name>--<author>')
    .option('--json', 'print the versions as JSON')
    .action((ref: string, flags: { json?: boolean }) => history(ctx, ref, flags));
  skills
    .command('diff')
    .description("diff of two versions of a skill, file by file: SKILL.md's frontmatter and body, then every file added, removed or changed (binary ones by size)")
    .argument('<ref>', 'the skill, as <name>--<author>')
    .argument('<v1>', 'the older version', parseVersionNumber)
    .argument('<v2>', 'the newer version', parseVersionNumber)
    .option('--json', 'print {ref, from, to, changed, bodyChanged, descriptionChanged, frontmatterChanged, files, patch} as JSON')
    .action((ref: string, v1: number, v2: number, flags: { json?: boolean }) => diff(ctx, ref, v1, v2, flags));
  registerSetRollout(skills, ctx);
  registerSignVersion(skills, ctx);
};
