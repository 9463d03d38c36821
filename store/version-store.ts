// Versions of each skill and their states: publishing (numbering, conflicts,
// idempotency), reads, state changes with their compare-and-set, and the
// transition row every change writes. Methods that validate are async so that
// a StoreValidationError arrives as a rejection, like every other.
import type { Selectable, Transaction } from 'kysely';
import { VERSION_STATES, type VersionState, type VersionTransition } from '../core/rollout-types';
import type { SkillRef } from '../core/skill-ref';
import { MAX_DESCRIPTION_CHARS, MAX_FRONTMATTER_BYTES, MAX_SKILL_BODY_BYTES } from '../core/limits';
import { MAX_REJECTION_REASON_CHARS, type CheckOutcome } from '../core/precheck';
import { cutText } from '../core/text';
import { fileChunks, sortTree, treeProblem, type TreeFile } from '../core/skill-tree';
import { missingContents } from './content-store';
import type { SkillVersionsTable, StoreDatabase } from './schema';
import { whereSkill, type Executor, type SqlContext } from './sql-context';
import {
  StoreValidationError,
  VersionConflictError,
  type CurrentSkill,
  type NewSkillVersion,
  type PublishResult,
  type SkillVersion,
  type StateChangeOptions,
  type StateChangeResult,
  type VersionStore,
} from './types';
import { checkInteger, checkOptionalId, checkRef, checkSignature, checkStringList, checkText, checkVersionSignature, MAX_DECIDER_CHARS, refLabel } from './validate';
import type { Signature } from '../core/signing';
import { toSkillVersion, toTransition } from './records';

const DEFAULT_SCOPE = 'org';
const MAX_SCOPE_CHARS = 64;
const MAX_TRANSITION_REASON_CHARS = 2000;
/** setVersionState decides again after losing a race to a concurrent writer (Postgres), this many times in all. */
const STATE_CHANGE_ATTEMPTS = 3;

/**
 * The store's own copy of the transition table, to refuse a change it must not
 * write: the state a version must be in to move to each state (a version
 * becomes a candidate only by being published). The rules that choose a
 * transition are core/rollout-rules.ts's.
 */
const REQUIRED_FROM: Record<VersionState, VersionState | undefined> = {
  stable: 'candidate',
  rejected: 'candidate',
  retired: 'stable',
  candidate: undefined,
};

/** Publishing a candidate while the skill has one; told apart so a racing retry of the same publish still finds its row. */
class CandidateExistsError extends StoreValidationError {}

/** A row changed between setVersionState's read and its write (Postgres, READ COMMITTED): decide again. */
class StateRaceError extends Error {}

/** One transition row to write. */
interface TransitionChange {
  version: number;
  from: VersionState | null;
  to: VersionState;
  decidedBy: string;
  reason: string;
  /** JSON of the decider's Signature. */
  signature?: string | null;
}

/** A publish after its checks: the ref, what it derives from, and the row to insert (its number still to be taken). */
interface CheckedPublish {
  ref: SkillRef;
  baseVersion: number;
  signedVersion: number | undefined;
  state: 'stable' | 'candidate' | 'rejected';
  reason: string;
  fields: Omit<SkillVersionsTable, 'version'>;
  decidedBy: string | undefined;
}

/** A state change after its checks. */
interface CheckedChange {
  decidedBy: string;
  reason: string;
  expectedFrom: VersionState | undefined;
  /** JSON of the decider's Signature, or null. */
  signature: string | null;
  approves: boolean;
}

export function sqlVersionStore(sql: SqlContext): VersionStore {
  return {
    publishVersion: (input) => publishVersion(sql, input),
    latestVersion: (ref) => latestVersion(sql, ref),
    getVersion: (ref, version) => getVersion(sql, ref, version),
    listLatest: () => listLatest(sql),
    history: (ref) => history(sql, ref),
    stableVersion: (ref) => versionInState(sql, ref, 'stable'),
    candidateVersion: (ref) => versionInState(sql, ref, 'candidate'),
    listCurrent: () => listCurrent(sql),
    setVersionState: (ref, version, to, options) => setVersionState(sql, ref, version, to, options),
    transitions: (ref) => transitions(sql, ref),
    setApproval: (ref, version, approval) => setApproval(sql, ref, version, approval),
  };
}

function setApproval({ db, guard }: SqlContext, ref: SkillRef, version: number, approval: Signature): Promise<SkillVersion> {
  const checked = checkRef(ref);
  const number = checkInteger('version', version, 1);
  const json = JSON.stringify(checkSignature('approval', approval));
  return guard(async () => {
    const row = await db
      .updateTable('skill_versions')
      .set({ approval: json, proposed_by: null })
      .$call(whereSkill(checked))
      .where('version', '=', number)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new StoreValidationError(`${refLabel(checked)} has no v${number}`);
    return toSkillVersion(row);
  });
}

async function publishVersion({ db, engine, guard }: SqlContext, input: NewSkillVersion): Promise<PublishResult> {
  const publish = checkPublish(input);
  const { ref, fields } = publish;
  // The number this publish tried to take, for the conflict a racing writer causes.
  const attempted = { version: publish.baseVersion + 1 };
  return guard(async () => {
    try {
      return await db.transaction().execute((trx) => insertVersion(trx, publish, attempted));
    } catch (err) {
      const raced = err instanceof VersionConflictError || err instanceof CandidateExistsError || engine.isUniqueViolation(err);
      if (!raced) throw err;
      // Another writer got there first: its insert collided with ours, or (Postgres,
      // READ COMMITTED) it committed between our key lookup and our checks.
      // If that writer was a retry of this very publish, its row is ours.
      const existing = await byIdempotencyKey(db, fields.idempotency_key, ref);
      if (existing) return { version: existing, created: false };
      if (err instanceof VersionConflictError || err instanceof CandidateExistsError) throw err;
      throw new VersionConflictError(ref, attempted.version);
    }
  });
}

function latestVersion({ db, guard }: SqlContext, ref: SkillRef): Promise<SkillVersion | undefined> {
  return guard(async () => {
    const row = await db.selectFrom('skill_versions').selectAll().$call(whereSkill(ref)).orderBy('version', 'desc').limit(1).executeTakeFirst();
    return row && toSkillVersion(row);
  });
}

function getVersion({ db, guard }: SqlContext, ref: SkillRef, version: number): Promise<SkillVersion | undefined> {
  return guard(async () => {
    const row = await db.selectFrom('skill_versions').selectAll().$call(whereSkill(ref)).where('version', '=', version).executeTakeFirst();
    return row && toSkillVersion(row);
  });
}

function listLatest({ db, guard }: SqlContext): Promise<SkillVersion[]> {
  return guard(async () => {
    const rows = await db
      .selectFrom('skill_versions as v')
      .selectAll('v')
      .where((eb) =>
        eb(
          'v.version',
          '=',
          eb
            .selectFrom('skill_versions as w')
            .select((sub) => sub.fn.max('w.version').as('latest'))
            .whereRef('w.name', '=', 'v.name')
            .whereRef('w.author', '=', 'v.author'),
        ),
      )
      .orderBy('v.name')
      .orderBy('v.author')
      .execute();
    return rows.map(toSkillVersion);
  });
}

function history({ db, guard }: SqlContext, ref: SkillRef): Promise<SkillVersion[]> {
  return guard(async () => {
    const rows = await db.selectFrom('skill_versions').selectAll().$call(whereSkill(ref)).orderBy('version', 'asc').execute();
    return rows.map(toSkillVersion);
  });
}

function versionInState({ db, guard }: SqlContext, ref: SkillRef, state: 'stable' | 'candidate'): Promise<SkillVersion | undefined> {
  return guard(async () => {
    const row = await db.selectFrom('skill_versions').selectAll().$call(whereSkill(ref)).where('state', '=', state).executeTakeFirst();
    return row && toSkillVersion(row);
  });
}

function listCurrent({ db, guard }: SqlContext): Promise<CurrentSkill[]> {
  return guard(async () => {
    const [skills, live] = await Promise.all([
      db
        .selectFrom('skill_versions')
        .select((eb) => ['name', 'author', eb.fn.max('version').as('latest')])
        .groupBy(['name', 'author'])
        .orderBy('name')
        .orderBy('author')
        .execute(),
      db.selectFrom('skill_versions').selectAll().where('state', 'in', ['stable', 'candidate']).execute(),
    ]);
    const byRef = new Map(live.map((row) => [refKey(row, row.state), toSkillVersion(row)]));
    return skills.map((skill) => ({
      name: skill.name,
      author: skill.author,
      stable: byRef.get(refKey(skill, 'stable')) ?? null,
      candidate: byRef.get(refKey(skill, 'candidate')) ?? null,
      latestVersion: Number(skill.latest),
    }));
  });
}

/**
 * Each change is a compare-and-set on the state read; one that lost a race to
 * a concurrent writer (Postgres) is decided again on what that writer committed.
 */
async function setVersionState(
  { db, engine, guard }: SqlContext,
  ref: SkillRef,
  version: number,
  to: VersionState,
  options: StateChangeOptions,
): Promise<StateChangeResult> {
  const checked = checkRef(ref);
  const number = checkInteger('version', version, 1);
  const target = checkState('the new state', to);
  if (typeof options !== 'object' || options === null) throw new StoreValidationError('a state change needs decidedBy and reason');
  const change: CheckedChange = {
    decidedBy: checkText('decidedBy', options.decidedBy, { required: true, maxChars: MAX_DECIDER_CHARS }),
    reason: checkReason(options.reason),
    expectedFrom: options.expectedFrom === undefined ? undefined : checkState('expectedFrom', options.expectedFrom),
    signature: options.signature === undefined ? null : JSON.stringify(checkSignature('signature', options.signature)),
    approves: options.approves === true,
  };
  if (change.approves && (change.signature === null || target !== 'stable')) throw new StoreValidationError('an approval is a signed promotion to stable');
  return guard(async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await db.transaction().execute((trx) => changeState(trx, checked, number, target, change));
      } catch (err) {
        if (!(err instanceof StateRaceError) && !engine.isUniqueViolation(err)) throw err;
        if (attempt >= STATE_CHANGE_ATTEMPTS) throw new VersionConflictError(checked, number);
      }
    }
  });
}

function transitions({ db, guard }: SqlContext, ref: SkillRef): Promise<VersionTransition[]> {
  return guard(async () => {
    const rows = await db.selectFrom('version_transitions').selectAll().$call(whereSkill(ref)).orderBy('id', 'asc').execute();
    return rows.map(toTransition);
  });
}

/** The state a version of the skill is in, or undefined when the skill has no such version. */
export async function versionState(db: Executor, ref: SkillRef, version: number): Promise<VersionState | undefined> {
  const row = await db.selectFrom('skill_versions').select('state').$call(whereSkill(ref)).where('version', '=', version).executeTakeFirst();
  return row?.state;
}

/** True when the skill has any version in the store. */
export async function skillExists(db: Executor, ref: SkillRef): Promise<boolean> {
  const known = await db.selectFrom('skill_versions').select('version').$call(whereSkill(ref)).limit(1).executeTakeFirst();
  return known !== undefined;
}

/** The tree as it is stored: checked, sorted by path, only the fields a TreeFile has. */
function checkTree(label: string, files: readonly TreeFile[]): TreeFile[] {
  if (!Array.isArray(files)) throw new StoreValidationError(`the files of ${label} must be a list`);
  const problem = treeProblem(files);
  if (problem) throw new StoreValidationError(`${label}: ${problem}`);
  return sortTree(files).map(({ path, size, executable, hash, chunks }) => ({ path, size, executable, hash, ...(chunks ? { chunks } : {}) }));
}

/** The publish's input checks, before anything is read or written. */
function checkPublish(input: NewSkillVersion): CheckedPublish {
  const ref = checkRef(input);
  const label = refLabel(ref);
  const baseVersion = checkInteger('baseVersion', input.baseVersion, 0);
  const state = input.state ?? 'stable';
  if (state !== 'stable' && state !== 'candidate' && state !== 'rejected') {
    throw new StoreValidationError(`a version is published as "stable", "candidate" or "rejected", not ${String(JSON.stringify(state))}`);
  }
  const decidedBy = input.decidedBy === undefined ? undefined : checkText('decidedBy', input.decidedBy, { required: true, maxChars: MAX_DECIDER_CHARS });
  // Turned down before anyone got it (the pre-publish check): whoever decided so is on the record.
  if (state === 'rejected' && decidedBy === undefined) throw new StoreValidationError('a version published as rejected names who rejected it (decidedBy)');
  const reason = checkReason(input.reason ?? 'published');
  const fields: Omit<SkillVersionsTable, 'version'> = {
    name: ref.name,
    author: ref.author,
    body: checkText(`body of ${label}`, input.body, { maxBytes: MAX_SKILL_BODY_BYTES, limitName: 'MAX_SKILL_BODY_BYTES' }),
    description: checkText(`description of ${label}`, input.description, {
      maxChars: MAX_DESCRIPTION_CHARS,
      limitName: 'MAX_DESCRIPTION_CHARS',
    }),
    frontmatter:
      input.frontmatter === undefined ? null : checkText(`frontmatter of ${label}`, input.frontmatter, { maxBytes: MAX_FRONTMATTER_BYTES, limitName: 'MAX_FRONTMATTER_BYTES' }),
    files: JSON.stringify(checkTree(label, input.files ?? [])),
    scope: checkText('scope', input.scope ?? DEFAULT_SCOPE, { required: true, maxChars: MAX_SCOPE_CHARS }),
    contributors: JSON.stringify(checkStringList('contributors', input.contributors)),
    created_at: new Date().toISOString(),
    created_by: checkText('createdBy', input.createdBy),
    idempotency_key: checkOptionalId('idempotencyKey', input.idempotencyKey),
    state,
    signature: input.signature === undefined ? null : JSON.stringify(checkVersionSignature(input.signature)),
    approval: null,
    proposed_by: input.proposedBy === undefined ? null : checkText('proposedBy', input.proposedBy, { required: true, maxChars: MAX_DECIDER_CHARS }),
    precheck: input.precheck === undefined ? null : JSON.stringify(checkPrecheck(input.precheck)),
  };
  if (fields.proposed_by !== null && state !== 'candidate') throw new StoreValidationError(`${label}: a proposal is published as a candidate`);
  const signedVersion = input.signedVersion === undefined ? undefined : checkInteger('signedVersion', input.signedVersion, 1);
  return { ref, baseVersion, signedVersion, state, reason, fields, decidedBy };
}

/**
 * The publish's transaction: the key already published returns its row; else the
 * conflict rule (NewSkillVersion.baseVersion), the next free number (noted in
 * `attempted`), the retired stable and the transition rows.
 */
async function insertVersion(trx: Transaction<StoreDatabase>, publish: CheckedPublish, attempted: { version: number }): Promise<PublishResult> {
  const { ref, baseVersion, state, reason, fields, decidedBy } = publish;
  const existing = await byIdempotencyKey(trx, fields.idempotency_key, ref);
  if (existing) return { version: existing, created: false };
  // A version whose contents are not all here could never be installed.
  const lacking = await missingContents(trx, (JSON.parse(fields.files) as TreeFile[]).flatMap(fileChunks));
  if (lacking.length > 0) throw new StoreValidationError(`${refLabel(ref)}: ${lacking.length} chunks of its files' contents are not in the store; upload them before publishing`);

  // The base, every version after it, and the live ones (stable, candidate).
  const versions = await trx
    .selectFrom('skill_versions')
    .select(['version', 'state'])
    .$call(whereSkill(ref))
    .where((eb) => eb.or([eb('version', '>=', baseVersion), eb('state', 'in', ['stable', 'candidate'])]))
    .orderBy('version')
    .execute();
  if (baseVersion > 0 && !versions.some((v) => v.version === baseVersion)) throw new VersionConflictError(ref, baseVersion + 1);
  const candidate = versions.find((v) => v.state === 'candidate');
  if (state === 'candidate' && candidate) {
    throw new CandidateExistsError(`${refLabel(ref)} already has a candidate, v${candidate.version}; promote or reject it before publishing another`);
  }
  // A version after the base that was not rejected would be undone by this one.
  const unseen = versions.find((v) => v.version > baseVersion && v.state !== 'rejected');
  if (unseen) throw new VersionConflictError(ref, unseen.version);

  const version = (versions.at(-1)?.version ?? 0) + 1;
  attempted.version = version;
  // Signed as another number: publishing it as this one would make every machine refuse it.
  if (publish.signedVersion !== undefined && publish.signedVersion !== version) throw new VersionConflictError(ref, version);
  const previous = state === 'stable' ? versions.find((v) => v.state === 'stable') : undefined;
  // Retired first: the database holds at most one stable version per skill.
  if (previous && !(await moveState(trx, ref, previous.version, 'stable', 'retired'))) throw new VersionConflictError(ref, version);
  const inserted = await trx
    .insertInto('skill_versions')
    .values({ ...fields, version })
    .returningAll()
    .executeTakeFirstOrThrow();
  await writeTransitions(trx, ref, fields.created_at, [
    { version, from: null, to: state, decidedBy: decidedBy ?? fields.created_by, reason },
    ...(previous ? [retiredBy(previous.version, version, fields.created_by)] : []),
  ]);
  return { version: toSkillVersion(inserted), created: true };
}

/** setVersionState's transaction: read the version, refuse what must not be written, move it (retiring the stable one on a promotion). */
async function changeState(
  trx: Transaction<StoreDatabase>,
  ref: SkillRef,
  number: number,
  to: VersionState,
  change: CheckedChange,
): Promise<StateChangeResult> {
  const label = `${refLabel(ref)} v${number}`;
  const row = await trx.selectFrom('skill_versions').selectAll().$call(whereSkill(ref)).where('version', '=', number).executeTakeFirst();
  if (!row) throw new StoreValidationError(`${refLabel(ref)} has no v${number}`);
  if (row.state === to) return alreadyChanged(trx, ref, row, change.decidedBy);
  checkTransition(label, row.state, to, change.expectedFrom);

  const at = new Date().toISOString();
  const previous = to === 'stable' ? await retireStable(trx, ref, number, label) : undefined;
  const updated = await trx
    .updateTable('skill_versions')
    .set(change.approves ? { state: to, approval: change.signature, proposed_by: null } : { state: to })
    .$call(whereSkill(ref))
    .where('version', '=', number)
    .where('state', '=', row.state)
    .returningAll()
    .executeTakeFirst();
  if (!updated) throw new StateRaceError();
  await writeTransitions(trx, ref, at, [
    { version: number, from: row.state, to, decidedBy: change.decidedBy, reason: change.reason, signature: change.signature },
    ...(previous === undefined ? [] : [retiredBy(previous, number, change.decidedBy)]),
  ]);
  return { version: toSkillVersion(updated), changed: true };
}

/** The version is already in the state asked: by this decider, a retry (an activity whose first attempt committed); by another, their decision stands. */
async function alreadyChanged(
  trx: Transaction<StoreDatabase>,
  ref: SkillRef,
  row: Selectable<SkillVersionsTable>,
  decidedBy: string,
): Promise<StateChangeResult> {
  const last = await trx
    .selectFrom('version_transitions')
    .select('decided_by')
    .$call(whereSkill(ref))
    .where('version', '=', row.version)
    .where('to_state', '=', row.state)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (last?.decided_by === decidedBy) return { version: toSkillVersion(row), changed: false };
  throw new StoreValidationError(`${refLabel(ref)} v${row.version} is already ${stateWord(row.state)}${last ? ` (decided by ${last.decided_by})` : ''}`);
}

/** Refuses a change from `from` to `to` that the transition table (REQUIRED_FROM) or the caller's expectedFrom does not allow. */
function checkTransition(label: string, from: VersionState, to: VersionState, expectedFrom: VersionState | undefined): void {
  if (expectedFrom !== undefined && from !== expectedFrom) {
    throw new StoreValidationError(`${label} is ${stateWord(from)}, not ${stateWord(expectedFrom)}`);
  }
  const required = REQUIRED_FROM[to];
  if (required === undefined) throw new StoreValidationError(`${label} is ${stateWord(from)}; a version becomes a candidate only by being published`);
  if (from !== required) throw new StoreValidationError(`${label} is ${stateWord(from)}, not ${stateWord(required)}`);
}

/**
 * Before promoting v`number`: retires the skill's stable version, refusing to
 * promote over a newer one; returns the retired number, if there was one.
 */
async function retireStable(trx: Transaction<StoreDatabase>, ref: SkillRef, number: number, label: string): Promise<number | undefined> {
  const stable = await trx.selectFrom('skill_versions').select('version').$call(whereSkill(ref)).where('state', '=', 'stable').executeTakeFirst();
  if (stable && stable.version > number) {
    throw new StoreValidationError(`${label} is older than the stable v${stable.version}; promoting it would undo v${stable.version}`);
  }
  // Retired first: the database holds at most one stable version per skill.
  if (stable !== undefined && !(await moveState(trx, ref, stable.version, 'stable', 'retired'))) throw new StateRaceError();
  return stable?.version;
}

/** Compare-and-set of one version's state; false when it was not in `from` (a concurrent writer moved it). */
async function moveState(db: Executor, ref: SkillRef, version: number, from: VersionState, to: VersionState): Promise<boolean> {
  const moved = await db
    .updateTable('skill_versions')
    .set({ state: to })
    .$call(whereSkill(ref))
    .where('version', '=', version)
    .where('state', '=', from)
    .returning('version')
    .executeTakeFirst();
  return moved !== undefined;
}

/** The transition row of a stable version retired because v`by` replaced it. */
function retiredBy(version: number, by: number, decidedBy: string): TransitionChange {
  return { version, from: 'stable', to: 'retired', decidedBy, reason: `replaced by v${by}` };
}

async function writeTransitions(db: Executor, ref: SkillRef, at: string, changes: TransitionChange[]): Promise<void> {
  await db
    .insertInto('version_transitions')
    .values(
      changes.map((c) => ({
        name: ref.name,
        author: ref.author,
        version: c.version,
        from_state: c.from,
        to_state: c.to,
        decided_by: c.decidedBy,
        reason: c.reason,
        signature: c.signature ?? null,
        at,
      })),
    )
    .execute();
}

async function byIdempotencyKey(db: Executor, key: string | null, ref: SkillRef): Promise<SkillVersion | undefined> {
  if (key === null) return undefined;
  const row = await db.selectFrom('skill_versions').selectAll().where('idempotency_key', '=', key).executeTakeFirst();
  if (!row) return undefined;
  if (row.name !== ref.name || row.author !== ref.author) {
    throw new StoreValidationError(`idempotency key ${key} was already used to publish ${refLabel(row)} v${row.version}, not ${refLabel(ref)}`);
  }
  return toSkillVersion(row);
}

function refKey(ref: SkillRef, state: string): string {
  return JSON.stringify([ref.name, ref.author, state]);
}

/** "a candidate", "stable", …: how a state reads in a message. */
function stateWord(state: VersionState): string {
  return state === 'candidate' ? 'a candidate' : state;
}

const CHECK_DECISIONS: readonly string[] = ['go-on', 'reject', 'unchecked'];

/** What the pre-publish check said, as its version keeps it: the counts, and reasons within MAX_REJECTION_REASON_CHARS in all. */
function checkPrecheck(value: unknown): CheckOutcome {
  if (typeof value !== 'object' || value === null) throw new StoreValidationError('precheck must be the check\'s outcome');
  const outcome = value as Record<string, unknown>;
  if (typeof outcome.decision !== 'string' || !CHECK_DECISIONS.includes(outcome.decision)) {
    throw new StoreValidationError(`precheck.decision must be one of ${CHECK_DECISIONS.join(', ')}, got ${String(JSON.stringify(outcome.decision))}`);
  }
  const count = (key: string): number => checkInteger(`precheck.${key}`, outcome[key], 0);
  let room = MAX_REJECTION_REASON_CHARS;
  const reasons = checkStringList('precheck.reasons', outcome.reasons).flatMap((reason) => {
    const kept = cutText(reason, room);
    room -= kept.length;
    return kept ? [kept] : [];
  });
  return {
    decision: outcome.decision as CheckOutcome['decision'],
    addressed: count('addressed'),
    failures: count('failures'),
    worse: count('worse'),
    passes: count('passes'),
    unanswered: count('unanswered'),
    reasons,
  };
}

function checkState(field: string, value: unknown): VersionState {
  if (typeof value !== 'string' || !(VERSION_STATES as readonly string[]).includes(value)) {
    throw new StoreValidationError(`${field} must be one of ${VERSION_STATES.join(', ')}, got ${String(JSON.stringify(value))}`);
  }
  return value as VersionState;
}

function checkReason(value: unknown): string {
  return checkText('reason', value, { required: true, maxChars: MAX_TRANSITION_REASON_CHARS });
}
