// The Store over Kysely: one set of queries for both engines, every value a bound
// parameter. Engine specifics come in through StoreEngine. Methods that validate
// are async so that a StoreValidationError arrives as a rejection, like every other.
import type { Kysely, Selectable, Transaction } from 'kysely';
import { ROLLOUT_POLICIES, VERSION_STATES, type RolloutPolicy, type VersionEvidence, type VersionState, type VersionTransition } from '../core/rollout-types';
import type { SkillRef } from '../core/skill-ref';
import type { VerdictOutcome } from '../core/verdict';
import { MAX_DESCRIPTION_CHARS, MAX_SKILL_BODY_BYTES } from '../core/limits';
import type { StoreEngine } from './engine';
import type {
  AttributionsTable,
  SkillEditsTable,
  SkillRolloutSettingsTable,
  SkillVersionsTable,
  StoreDatabase,
  VerdictsTable,
  VersionTransitionsTable,
} from './schema';
import {
  StoreUnavailableError,
  StoreValidationError,
  VersionConflictError,
  type AttributionRecord,
  type CanaryEvidence,
  type CanaryEvidenceQuery,
  type CanaryOverrides,
  type CurrentSkill,
  type EditRecord,
  type NewEditRecord,
  type NewSkillVersion,
  type PublishResult,
  type RolloutSettings,
  type RolloutSettingsChange,
  type SkillVersion,
  type StateChangeOptions,
  type StateChangeResult,
  type Store,
  type VerdictRecord,
  type VersionUsage,
} from './types';
import {
  checkId,
  checkInteger,
  checkJsonList,
  checkOptionalId,
  checkRef,
  checkStringList,
  checkText,
  checkTimestamp,
  refLabel,
} from './validate';

/** Every outcome, checked complete by the compiler. */
const VERDICT_OUTCOMES: Record<VerdictOutcome, true> = { passed: true, failed: true, 'not-judged': true };

const DEFAULT_SCOPE = 'org';
const MAX_SCOPE_CHARS = 64;
const MAX_DECIDER_CHARS = 256;
const MAX_TRANSITION_REASON_CHARS = 2000;
/** A canary longer than a year is a typo. */
const MAX_CANARY_HOURS = 24 * 366;
/** setVersionState decides again after losing a race to a concurrent writer (Postgres), this many times in all. */
const STATE_CHANGE_ATTEMPTS = 3;

/**
 * The store's own copy of the transition table, to refuse a change it must not
 * write: the state a version must be in to move to each state (a version
 * becomes a candidate only by being published). The rules that choose a
 * transition are core/rollout.ts's.
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

type Executor = Kysely<StoreDatabase> | Transaction<StoreDatabase>;

export class SqlStore implements Store {
  readonly engine: StoreEngine['kind'];
  #closed: Promise<void> | undefined;

  constructor(
    private readonly db: Kysely<StoreDatabase>,
    private readonly spec: StoreEngine,
  ) {
    this.engine = spec.kind;
  }

  async publishVersion(input: NewSkillVersion): Promise<PublishResult> {
    const ref = checkRef(input);
    const label = refLabel(ref);
    const baseVersion = checkInteger('baseVersion', input.baseVersion, 0);
    const state = input.state ?? 'stable';
    if (state !== 'stable' && state !== 'candidate') {
      throw new StoreValidationError(`a version is published as "stable" or "candidate", not ${String(JSON.stringify(state))}`);
    }
    const reason = checkReason(input.reason ?? 'published');
    const createdAt = new Date().toISOString();
    const fields: Omit<SkillVersionsTable, 'version'> = {
      name: ref.name,
      author: ref.author,
      body: checkText(`body of ${label}`, input.body, { maxBytes: MAX_SKILL_BODY_BYTES, limitName: 'MAX_SKILL_BODY_BYTES' }),
      description: checkText(`description of ${label}`, input.description, {
        maxChars: MAX_DESCRIPTION_CHARS,
        limitName: 'MAX_DESCRIPTION_CHARS',
      }),
      scope: checkText('scope', input.scope ?? DEFAULT_SCOPE, { required: true, maxChars: MAX_SCOPE_CHARS }),
      contributors: JSON.stringify(checkStringList('contributors', input.contributors)),
      created_at: createdAt,
      created_by: checkText('createdBy', input.createdBy),
      idempotency_key: checkOptionalId('idempotencyKey', input.idempotencyKey),
      state,
    };
    // The number this publish tried to take, for the conflict a racing writer causes.
    let attempted = baseVersion + 1;

    return this.guard(async () => {
      try {
        return await this.db.transaction().execute(async (trx) => {
          const existing = await this.byIdempotencyKey(trx, fields.idempotency_key, ref);
          if (existing) return { version: existing, created: false };

          // The base, every version after it, and the live ones (stable, candidate).
          const versions = await trx
            .selectFrom('skill_versions')
            .select(['version', 'state'])
            .where('name', '=', ref.name)
            .where('author', '=', ref.author)
            .where((eb) => eb.or([eb('version', '>=', baseVersion), eb('state', 'in', ['stable', 'candidate'])]))
            .orderBy('version')
            .execute();
          if (baseVersion > 0 && !versions.some((v) => v.version === baseVersion)) throw new VersionConflictError(ref, baseVersion + 1);
          const candidate = versions.find((v) => v.state === 'candidate');
          if (state === 'candidate' && candidate) {
            throw new CandidateExistsError(`${label} already has a candidate, v${candidate.version}; promote or reject it before publishing another`);
          }
          // A version after the base that was not rejected would be undone by this one.
          const unseen = versions.find((v) => v.version > baseVersion && v.state !== 'rejected');
          if (unseen) throw new VersionConflictError(ref, unseen.version);

          const version = (versions.at(-1)?.version ?? 0) + 1;
          attempted = version;
          const previous = state === 'stable' ? versions.find((v) => v.state === 'stable') : undefined;
          // Retired first: the database holds at most one stable version per skill.
          if (previous && !(await this.moveState(trx, ref, previous.version, 'stable', 'retired'))) throw new VersionConflictError(ref, version);
          const inserted = await trx
            .insertInto('skill_versions')
            .values({ ...fields, version })
            .returningAll()
            .executeTakeFirstOrThrow();
          await this.writeTransitions(trx, ref, createdAt, [
            { version, from: null, to: state, decidedBy: fields.created_by, reason },
            ...(previous ? [{ version: previous.version, from: 'stable' as const, to: 'retired' as const, decidedBy: fields.created_by, reason: `replaced by v${version}` }] : []),
          ]);
          return { version: toSkillVersion(inserted), created: true };
        });
      } catch (err) {
        const raced = err instanceof VersionConflictError || err instanceof CandidateExistsError || this.spec.isUniqueViolation(err);
        if (!raced) throw err;
        // Another writer got there first: its insert collided with ours, or (Postgres,
        // READ COMMITTED) it committed between our key lookup and our checks.
        // If that writer was a retry of this very publish, its row is ours.
        const existing = await this.byIdempotencyKey(this.db, fields.idempotency_key, ref);
        if (existing) return { version: existing, created: false };
        if (err instanceof VersionConflictError || err instanceof CandidateExistsError) throw err;
        throw new VersionConflictError(ref, attempted);
      }
    });
  }

  latestVersion(ref: SkillRef): Promise<SkillVersion | undefined> {
    return this.guard(async () => {
      const row = await this.db
        .selectFrom('skill_versions')
        .selectAll()
        .where('name', '=', ref.name)
        .where('author', '=', ref.author)
        .orderBy('version', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row && toSkillVersion(row);
    });
  }

  getVersion(ref: SkillRef, version: number): Promise<SkillVersion | undefined> {
    return this.guard(async () => {
      const row = await this.db
        .selectFrom('skill_versions')
        .selectAll()
        .where('name', '=', ref.name)
        .where('author', '=', ref.author)
        .where('version', '=', version)
        .executeTakeFirst();
      return row && toSkillVersion(row);
    });
  }

  listLatest(): Promise<SkillVersion[]> {
    return this.guard(async () => {
      const rows = await this.db
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

  history(ref: SkillRef): Promise<SkillVersion[]> {
    return this.guard(async () => {
      const rows = await this.db
        .selectFrom('skill_versions')
        .selectAll()
        .where('name', '=', ref.name)
        .where('author', '=', ref.author)
        .orderBy('version', 'asc')
        .execute();
      return rows.map(toSkillVersion);
    });
  }

  stableVersion(ref: SkillRef): Promise<SkillVersion | undefined> {
    return this.versionInState(ref, 'stable');
  }

  candidateVersion(ref: SkillRef): Promise<SkillVersion | undefined> {
    return this.versionInState(ref, 'candidate');
  }

  listCurrent(): Promise<CurrentSkill[]> {
    return this.guard(async () => {
      const [skills, live] = await Promise.all([
        this.db
          .selectFrom('skill_versions')
          .select((eb) => ['name', 'author', eb.fn.max('version').as('latest')])
          .groupBy(['name', 'author'])
          .orderBy('name')
          .orderBy('author')
          .execute(),
        this.db.selectFrom('skill_versions').selectAll().where('state', 'in', ['stable', 'candidate']).execute(),
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
  async setVersionState(ref: SkillRef, version: number, to: VersionState, options: StateChangeOptions): Promise<StateChangeResult> {
    const checked = checkRef(ref);
    const number = checkInteger('version', version, 1);
    const target = checkState('the new state', to);
    if (typeof options !== 'object' || options === null) throw new StoreValidationError('a state change needs decidedBy and reason');
    const decidedBy = checkText('decidedBy', options.decidedBy, { required: true, maxChars: MAX_DECIDER_CHARS });
    const reason = checkReason(options.reason);
    const expectedFrom = options.expectedFrom === undefined ? undefined : checkState('expectedFrom', options.expectedFrom);
    return this.guard(async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.db
            .transaction()
            .execute((trx) => this.changeState(trx, checked, number, target, { decidedBy, reason, expectedFrom }));
        } catch (err) {
          if (!(err instanceof StateRaceError) && !this.spec.isUniqueViolation(err)) throw err;
          if (attempt >= STATE_CHANGE_ATTEMPTS) throw new VersionConflictError(checked, number);
        }
      }
    });
  }

  transitions(ref: SkillRef): Promise<VersionTransition[]> {
    return this.guard(async () => {
      const rows = await this.db
        .selectFrom('version_transitions')
        .selectAll()
        .where('name', '=', ref.name)
        .where('author', '=', ref.author)
        .orderBy('id', 'asc')
        .execute();
      return rows.map(toTransition);
    });
  }

  rolloutSettings(ref: SkillRef): Promise<RolloutSettings | undefined> {
    return this.guard(async () => {
      const row = await this.db
        .selectFrom('skill_rollout_settings')
        .selectAll()
        .where('name', '=', ref.name)
        .where('author', '=', ref.author)
        .executeTakeFirst();
      return row && toRolloutSettings(row);
    });
  }

  /** One upsert that sets only the fields given, so two changes of different fields never undo each other. */
  async setRolloutSettings(ref: SkillRef, change: RolloutSettingsChange): Promise<RolloutSettings> {
    const checked = checkRef(ref);
    if (typeof change !== 'object' || change === null) throw new StoreValidationError('rollout settings need updatedBy');
    const policy = change.policy === undefined ? undefined : checkPolicy(change.policy);
    const canary = change.canary === undefined ? undefined : checkCanary(change.canary);
    const row: SkillRolloutSettingsTable = {
      name: checked.name,
      author: checked.author,
      policy: policy ?? null,
      canary: canary ?? null,
      updated_by: checkText('updatedBy', change.updatedBy, { required: true, maxChars: MAX_DECIDER_CHARS }),
      updated_at: new Date().toISOString(),
    };
    return this.guard(() =>
      this.db.transaction().execute(async (trx) => {
        const known = await trx
          .selectFrom('skill_versions')
          .select('version')
          .where('name', '=', checked.name)
          .where('author', '=', checked.author)
          .limit(1)
          .executeTakeFirst();
        if (!known) throw new StoreValidationError(`no skill ${refLabel(checked)} in the store`);
        const stored = await trx
          .insertInto('skill_rollout_settings')
          .values(row)
          .onConflict((oc) =>
            oc.columns(['name', 'author']).doUpdateSet((eb) => ({
              ...(policy === undefined ? {} : { policy: eb.ref('excluded.policy') }),
              ...(canary === undefined ? {} : { canary: eb.ref('excluded.canary') }),
              updated_by: eb.ref('excluded.updated_by'),
              updated_at: eb.ref('excluded.updated_at'),
            })),
          )
          .returningAll()
          .executeTakeFirstOrThrow();
        return toRolloutSettings(stored);
      }),
    );
  }

  /**
   * Counted per invocation, the way the invocation workflow sums up its verdicts
   * (workflows/invocation-state.ts invocationVerdict): an invocation with several
   * judged reactions is one failure if any failed, else one pass. Its time is its
   * first judged verdict. A verdict row without a tool use id is an invocation of its own.
   */
  async canaryEvidence(ref: SkillRef, query: CanaryEvidenceQuery): Promise<CanaryEvidence> {
    const checked = checkRef(ref);
    if (typeof query !== 'object' || query === null) throw new StoreValidationError('canaryEvidence needs candidate, stable, since and minStable');
    const candidate = checkInteger('candidate', query.candidate, 1);
    const stable = checkInteger('stable', query.stable, 0);
    if (candidate === stable) throw new StoreValidationError(`the candidate and the stable version are both v${candidate}`);
    if (typeof query.since !== 'string') throw new StoreValidationError('since must be an ISO-8601 timestamp');
    const since = checkTimestamp('since', query.since);
    const minStable = checkInteger('minStable', query.minStable, 0);
    return this.guard(async () => {
      const invocations = await this.judgedInvocationsOf(checked, [candidate, stable]);
      const candidateEvidence = tally(candidate, invocations.filter((i) => i.version === candidate && i.at >= since));
      const ofStable = invocations.filter((i) => i.version === stable);
      const inPeriod = ofStable.filter((i) => i.at >= since);
      // Most recent first; ties broken by the invocation key so every engine tops up the same ones.
      const before = ofStable
        .filter((i) => i.at < since)
        .sort((a, b) => (a.at === b.at ? compareText(a.key, b.key) : a.at < b.at ? 1 : -1))
        .slice(0, Math.max(0, minStable - inPeriod.length));
      const effectiveSince = before.at(-1)?.at ?? since;
      return { candidate: candidateEvidence, stable: { ...tally(stable, [...inPeriod, ...before]), since: effectiveSince } };
    });
  }

  /**
   * Per version, from `since`: the distinct sessions that had it in context
   * (SessionStart attribution rows), its judged invocations counted as
   * canaryEvidence counts them (the same query), and the distinct users of both.
   */
  async versionUsage(ref: SkillRef, since: string): Promise<VersionUsage[]> {
    const checked = checkRef(ref);
    if (typeof since !== 'string') throw new StoreValidationError('since must be an ISO-8601 timestamp');
    const from = checkTimestamp('since', since);
    return this.guard(async () => {
      const [invocations, attributions] = await Promise.all([
        this.judgedInvocationsOf(checked),
        // The LIKE only narrows (skill names have no LIKE or JSON escapes; "_" in an author over-matches at worst);
        // each row's list is checked exactly below.
        this.db
          .selectFrom('attributions')
          .select(['session_id', 'user_name', 'skills'])
          .where('created_at', '>=', from)
          .where('skills', 'like', `%${JSON.stringify(checked.name)}%`)
          .execute(),
      ]);
      const byVersion = new Map<number, { sessions: Set<string>; users: Set<string>; invocations: JudgedInvocation[] }>();
      const entry = (version: number) => {
        let found = byVersion.get(version);
        if (!found) byVersion.set(version, (found = { sessions: new Set(), users: new Set(), invocations: [] }));
        return found;
      };
      for (const row of attributions) {
        const skills = parseJson<AttributionRecord['skills']>(row.skills);
        for (const skill of Array.isArray(skills) ? skills : []) {
          if (skill.name !== checked.name || skill.author !== checked.author) continue;
          const usage = entry(skill.version);
          usage.sessions.add(row.session_id);
          usage.users.add(row.user_name);
        }
      }
      for (const invocation of invocations) {
        if (invocation.at < from) continue;
        const usage = entry(invocation.version);
        usage.invocations.push(invocation);
        usage.users.add(invocation.user);
      }
      return [...byVersion.entries()]
        .sort(([a], [b]) => a - b)
        .map(([version, usage]) => ({ ...tally(version, usage.invocations), sessions: usage.sessions.size, users: usage.users.size }));
    });
  }

  /**
   * Idempotent per published version: a retried call returns the row already
   * written; a different edit claiming the same published version is rejected.
   */
  async recordEdit(input: NewEditRecord): Promise<EditRecord> {
    const ref = checkRef(input);
    const row = {
      name: ref.name,
      author: ref.author,
      fingerprint: checkId('fingerprint', input.fingerprint),
      summaries: JSON.stringify(checkStringList('summaries', input.summaries)),
      edits: checkJsonList('edits', input.edits),
      base_version: checkInteger('baseVersion', input.baseVersion, 0),
      published_version: checkInteger('publishedVersion', input.publishedVersion, 1),
      status: 'proposed' as const,
      created_at: new Date().toISOString(),
      resolved_at: null,
    };

    return this.guard(async () => {
      const inserted = await this.db
        .insertInto('skill_edits')
        .values(row)
        .onConflict((oc) => oc.columns(['name', 'author', 'published_version']).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) return toEditRecord(inserted);

      const existing = await this.db
        .selectFrom('skill_edits')
        .selectAll()
        .where('name', '=', ref.name)
        .where('author', '=', ref.author)
        .where('published_version', '=', row.published_version)
        .executeTakeFirstOrThrow();
      if (existing.fingerprint !== row.fingerprint) {
        throw new StoreValidationError(
          `version ${row.published_version} of ${refLabel(ref)} already has an edit record (fingerprint ${existing.fingerprint})`,
        );
      }
      return toEditRecord(existing);
    });
  }

  hasEditFingerprint(ref: SkillRef, fingerprint: string): Promise<boolean> {
    return this.guard(async () => {
      const row = await this.db
        .selectFrom('skill_edits')
        .select('id')
        .where('name', '=', ref.name)
        .where('author', '=', ref.author)
        .where('fingerprint', '=', fingerprint)
        .limit(1)
        .executeTakeFirst();
      return row !== undefined;
    });
  }

  async resolveEdit(ref: SkillRef, publishedVersion: number, status: 'applied' | 'reverted'): Promise<EditRecord | undefined> {
    if (status !== 'applied' && status !== 'reverted') {
      throw new StoreValidationError(`an edit resolves to "applied" or "reverted", not ${JSON.stringify(status)}`);
    }
    return this.guard(() => this.resolveProposed(this.db, ref, publishedVersion, status));
  }

  async recentEdits(ref: SkillRef, limit: number): Promise<EditRecord[]> {
    const count = checkInteger('limit', limit, 0);
    return this.guard(async () => {
      if (count === 0) return [];
      const rows = await this.db
        .selectFrom('skill_edits')
        .selectAll()
        .where('name', '=', ref.name)
        .where('author', '=', ref.author)
        .orderBy('id', 'desc')
        .limit(count)
        .execute();
      return rows.map(toEditRecord);
    });
  }

  editStats(ref: SkillRef): Promise<{ published: number; awaitingOutcome: number[] }> {
    return this.guard(async () => {
      const [count, proposed] = await Promise.all([
        this.db
          .selectFrom('skill_edits')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('name', '=', ref.name)
          .where('author', '=', ref.author)
          .executeTakeFirstOrThrow(),
        this.db
          .selectFrom('skill_edits')
          .select('published_version')
          .where('name', '=', ref.name)
          .where('author', '=', ref.author)
          .where('status', '=', 'proposed')
          .orderBy('published_version')
          .execute(),
      ]);
      return { published: Number(count.n), awaitingOutcome: proposed.map((r) => r.published_version) };
    });
  }

  async recordVerdict(input: VerdictRecord): Promise<boolean> {
    const ref = checkRef(input);
    const outcome = input.outcome;
    if (typeof outcome !== 'string' || !Object.hasOwn(VERDICT_OUTCOMES, outcome)) {
      throw new StoreValidationError(`outcome must be "passed", "failed" or "not-judged", got ${String(JSON.stringify(outcome))}`);
    }
    const confidence = input.confidence;
    if (typeof confidence !== 'number' || !(confidence >= 0 && confidence <= 1)) {
      throw new StoreValidationError(`confidence must be a number from 0 to 1, got ${String(confidence)}`);
    }
    const row = {
      name: ref.name,
      author: ref.author,
      skill_version: checkInteger('skillVersion', input.skillVersion, 0),
      session_id: checkId('sessionId', input.sessionId),
      tool_use_id: checkOptionalId('toolUseId', input.toolUseId),
      event_id: checkId('eventId', input.eventId),
      outcome,
      // Legacy column; `outcome` is the source of truth. Not-judged is no failure.
      success: outcome === 'failed' ? 0 : 1,
      confidence,
      reason: checkText('reason', input.reason),
      agent: checkText('agent', input.agent),
      user_name: checkText('user', input.user),
      created_at: checkTimestamp('createdAt', input.createdAt),
    };
    return this.guard(() =>
      this.db.transaction().execute(async (trx) => {
        const inserted = await trx
          .insertInto('verdicts')
          .values(row)
          .onConflict((oc) => oc.column('event_id').doNothing())
          .returning(['name', 'author', 'skill_version', 'outcome'])
          .executeTakeFirst();
        // On a retry the first verdict of the event stands, and it is what resolves
        // the edit: a retry after a crash between insert and resolve still resolves.
        const stored =
          inserted ??
          (await trx
            .selectFrom('verdicts')
            .select(['name', 'author', 'skill_version', 'outcome'])
            .where('event_id', '=', row.event_id)
            .executeTakeFirstOrThrow());
        // A candidate's edit is resolved by its trial's decision (promote / revert), not by one verdict.
        if (stored.outcome !== 'not-judged' && !(await this.isCandidate(trx, stored, stored.skill_version))) {
          const status = stored.outcome === 'passed' ? 'applied' : 'reverted';
          await this.resolveProposed(trx, stored, stored.skill_version, status);
        }
        return inserted !== undefined;
      }),
    );
  }

  verdicts(ref: SkillRef): Promise<VerdictRecord[]> {
    return this.guard(async () => {
      const rows = await this.db
        .selectFrom('verdicts')
        .selectAll()
        .where('name', '=', ref.name)
        .where('author', '=', ref.author)
        .orderBy('id', 'asc')
        .execute();
      return rows.map(toVerdictRecord);
    });
  }

  verdictForEvent(eventId: string): Promise<VerdictRecord | undefined> {
    const id = checkId('eventId', eventId);
    return this.guard(async () => {
      const row = await this.db.selectFrom('verdicts').selectAll().where('event_id', '=', id).executeTakeFirst();
      return row ? toVerdictRecord(row) : undefined;
    });
  }

  async recordAttribution(input: AttributionRecord): Promise<void> {
    if (!Array.isArray(input.skills)) throw new StoreValidationError('skills must be a list');
    const skills = input.skills.map((skill, index) => ({
      ...checkRef(skill),
      version: checkInteger(`skills[${index}].version`, skill.version, 0),
    }));
    const row = {
      session_id: checkId('sessionId', input.sessionId),
      user_name: checkText('user', input.user),
      cwd: checkText('cwd', input.cwd),
      agent: checkText('agent', input.agent),
      ab_bucket: checkInteger('abBucket', input.abBucket, 0),
      skills: JSON.stringify(skills),
      created_at: checkTimestamp('createdAt', input.createdAt),
    };
    return this.guard(async () => {
      await this.db.insertInto('attributions').values(row).execute();
    });
  }

  attributions(sessionId: string): Promise<AttributionRecord[]> {
    return this.guard(async () => {
      const rows = await this.db
        .selectFrom('attributions')
        .selectAll()
        .where('session_id', '=', sessionId)
        .orderBy('id', 'asc')
        .execute();
      return rows.map(toAttributionRecord);
    });
  }

  close(): Promise<void> {
    this.#closed ??= this.db.destroy();
    return this.#closed;
  }

  /**
   * The status condition makes this a compare-and-set: of two concurrent resolvers,
   * the second finds nothing still proposed, and a resolved edit never flips.
   */
  private async resolveProposed(
    db: Executor,
    ref: SkillRef,
    publishedVersion: number,
    status: 'applied' | 'reverted',
  ): Promise<EditRecord | undefined> {
    const row = await db
      .updateTable('skill_edits')
      .set({ status, resolved_at: new Date().toISOString() })
      .where('name', '=', ref.name)
      .where('author', '=', ref.author)
      .where('published_version', '=', publishedVersion)
      .where('status', '=', 'proposed')
      .returningAll()
      .executeTakeFirst();
    return row && toEditRecord(row);
  }

  /** The skill's judged invocations (of these versions, else of all), each counted once (judgedInvocations). */
  private async judgedInvocationsOf(ref: SkillRef, versions?: number[]): Promise<JudgedInvocation[]> {
    let query = this.db
      .selectFrom('verdicts')
      .select(['skill_version', 'session_id', 'tool_use_id', 'event_id', 'outcome', 'user_name', 'created_at'])
      .where('name', '=', ref.name)
      .where('author', '=', ref.author)
      .where('outcome', 'in', ['passed', 'failed']);
    if (versions) query = query.where('skill_version', 'in', versions);
    return judgedInvocations(await query.execute());
  }

  private async isCandidate(db: Executor, ref: SkillRef, version: number): Promise<boolean> {
    const row = await db
      .selectFrom('skill_versions')
      .select('state')
      .where('name', '=', ref.name)
      .where('author', '=', ref.author)
      .where('version', '=', version)
      .executeTakeFirst();
    return row?.state === 'candidate';
  }

  private versionInState(ref: SkillRef, state: 'stable' | 'candidate'): Promise<SkillVersion | undefined> {
    return this.guard(async () => {
      const row = await this.db
        .selectFrom('skill_versions')
        .selectAll()
        .where('name', '=', ref.name)
        .where('author', '=', ref.author)
        .where('state', '=', state)
        .executeTakeFirst();
      return row && toSkillVersion(row);
    });
  }

  private async changeState(
    trx: Transaction<StoreDatabase>,
    ref: SkillRef,
    number: number,
    to: VersionState,
    options: { decidedBy: string; reason: string; expectedFrom: VersionState | undefined },
  ): Promise<StateChangeResult> {
    const label = `${refLabel(ref)} v${number}`;
    const row = await trx
      .selectFrom('skill_versions')
      .selectAll()
      .where('name', '=', ref.name)
      .where('author', '=', ref.author)
      .where('version', '=', number)
      .executeTakeFirst();
    if (!row) throw new StoreValidationError(`${refLabel(ref)} has no v${number}`);

    if (row.state === to) {
      // Already done: by this decider, a retry (an activity whose first attempt committed); by another, their decision stands.
      const last = await trx
        .selectFrom('version_transitions')
        .select('decided_by')
        .where('name', '=', ref.name)
        .where('author', '=', ref.author)
        .where('version', '=', number)
        .where('to_state', '=', to)
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (last?.decided_by === options.decidedBy) return { version: toSkillVersion(row), changed: false };
      throw new StoreValidationError(`${label} is already ${stateWord(to)}${last ? ` (decided by ${last.decided_by})` : ''}`);
    }
    if (options.expectedFrom !== undefined && row.state !== options.expectedFrom) {
      throw new StoreValidationError(`${label} is ${stateWord(row.state)}, not ${stateWord(options.expectedFrom)}`);
    }
    const from = REQUIRED_FROM[to];
    if (from === undefined) throw new StoreValidationError(`${label} is ${stateWord(row.state)}; a version becomes a candidate only by being published`);
    if (row.state !== from) throw new StoreValidationError(`${label} is ${stateWord(row.state)}, not ${stateWord(from)}`);

    const at = new Date().toISOString();
    let previous: number | undefined;
    if (to === 'stable') {
      const stable = await trx
        .selectFrom('skill_versions')
        .select('version')
        .where('name', '=', ref.name)
        .where('author', '=', ref.author)
        .where('state', '=', 'stable')
        .executeTakeFirst();
      if (stable && stable.version > number) {
        throw new StoreValidationError(`${label} is older than the stable v${stable.version}; promoting it would undo v${stable.version}`);
      }
      previous = stable?.version;
      // Retired first: the database holds at most one stable version per skill.
      if (previous !== undefined && !(await this.moveState(trx, ref, previous, 'stable', 'retired'))) throw new StateRaceError();
    }
    const updated = await trx
      .updateTable('skill_versions')
      .set({ state: to })
      .where('name', '=', ref.name)
      .where('author', '=', ref.author)
      .where('version', '=', number)
      .where('state', '=', row.state)
      .returningAll()
      .executeTakeFirst();
    if (!updated) throw new StateRaceError();
    await this.writeTransitions(trx, ref, at, [
      { version: number, from: row.state, to, decidedBy: options.decidedBy, reason: options.reason },
      ...(previous === undefined
        ? []
        : [{ version: previous, from: 'stable' as const, to: 'retired' as const, decidedBy: options.decidedBy, reason: `replaced by v${number}` }]),
    ]);
    return { version: toSkillVersion(updated), changed: true };
  }

  /** Compare-and-set of one version's state; false when it was not in `from` (a concurrent writer moved it). */
  private async moveState(db: Executor, ref: SkillRef, version: number, from: VersionState, to: VersionState): Promise<boolean> {
    const moved = await db
      .updateTable('skill_versions')
      .set({ state: to })
      .where('name', '=', ref.name)
      .where('author', '=', ref.author)
      .where('version', '=', version)
      .where('state', '=', from)
      .returning('version')
      .executeTakeFirst();
    return moved !== undefined;
  }

  private async writeTransitions(
    db: Executor,
    ref: SkillRef,
    at: string,
    changes: { version: number; from: VersionState | null; to: VersionState; decidedBy: string; reason: string }[],
  ): Promise<void> {
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
          at,
        })),
      )
      .execute();
  }

  private async byIdempotencyKey(db: Executor, key: string | null, ref: SkillRef): Promise<SkillVersion | undefined> {
    if (key === null) return undefined;
    const row = await db.selectFrom('skill_versions').selectAll().where('idempotency_key', '=', key).executeTakeFirst();
    if (!row) return undefined;
    if (row.name !== ref.name || row.author !== ref.author) {
      throw new StoreValidationError(
        `idempotency key ${key} was already used to publish ${refLabel(row)} v${row.version}, not ${refLabel(ref)}`,
      );
    }
    return toSkillVersion(row);
  }

  /** Reports a database that went away as StoreUnavailableError; other errors pass through. */
  private async guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (err) {
      if (err instanceof VersionConflictError || err instanceof StoreValidationError || err instanceof StoreUnavailableError) {
        throw err;
      }
      throw this.spec.unavailable(err) ?? err;
    }
  }
}

function parseJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

function toSkillVersion(row: Selectable<SkillVersionsTable>): SkillVersion {
  return {
    name: row.name,
    author: row.author,
    version: row.version,
    state: row.state,
    body: row.body,
    description: row.description,
    scope: row.scope,
    contributors: parseJson<string[]>(row.contributors),
    createdAt: row.created_at,
    createdBy: row.created_by,
    idempotencyKey: row.idempotency_key,
  };
}

function toEditRecord(row: Selectable<SkillEditsTable>): EditRecord {
  return {
    id: row.id,
    name: row.name,
    author: row.author,
    fingerprint: row.fingerprint,
    summaries: parseJson<string[]>(row.summaries),
    edits: parseJson<unknown[]>(row.edits),
    baseVersion: row.base_version,
    publishedVersion: row.published_version,
    status: row.status,
    createdAt: row.created_at,
    resolvedAt: row.resolved_at,
  };
}

function toVerdictRecord(row: Selectable<VerdictsTable>): VerdictRecord {
  return {
    name: row.name,
    author: row.author,
    skillVersion: row.skill_version,
    sessionId: row.session_id,
    toolUseId: row.tool_use_id,
    eventId: row.event_id,
    outcome: row.outcome,
    confidence: row.confidence,
    reason: row.reason,
    agent: row.agent,
    user: row.user_name,
    createdAt: row.created_at,
  };
}

function toAttributionRecord(row: Selectable<AttributionsTable>): AttributionRecord {
  return {
    sessionId: row.session_id,
    user: row.user_name,
    cwd: row.cwd,
    agent: row.agent,
    abBucket: row.ab_bucket,
    skills: parseJson<AttributionRecord['skills']>(row.skills),
    createdAt: row.created_at,
  };
}

function toTransition(row: Selectable<VersionTransitionsTable>): VersionTransition {
  return {
    name: row.name,
    author: row.author,
    version: row.version,
    from: row.from_state,
    to: row.to_state,
    decidedBy: row.decided_by,
    reason: row.reason,
    at: row.at,
  };
}

function toRolloutSettings(row: Selectable<SkillRolloutSettingsTable>): RolloutSettings {
  return {
    name: row.name,
    author: row.author,
    policy: row.policy,
    canary: row.canary === null ? null : parseJson<CanaryOverrides>(row.canary),
    updatedBy: row.updated_by,
    updatedAt: row.updated_at,
  };
}

function refKey(ref: SkillRef, state: string): string {
  return JSON.stringify([ref.name, ref.author, state]);
}

/** Bytewise, like the engines' ordering of names: no locale. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** "a candidate", "stable", …: how a state reads in a message. */
function stateWord(state: VersionState): string {
  return state === 'candidate' ? 'a candidate' : state;
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

function checkPolicy(value: unknown): RolloutPolicy | null {
  if (value === null) return null;
  if (typeof value !== 'string' || !(ROLLOUT_POLICIES as readonly string[]).includes(value)) {
    throw new StoreValidationError(`policy must be one of ${ROLLOUT_POLICIES.join(', ')} (or null for the team default), got ${String(JSON.stringify(value))}`);
  }
  return value as RolloutPolicy;
}

/** JSON text of the overrides (in a fixed key order), or null for none. */
function checkCanary(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new StoreValidationError('canary must be an object with percent, minJudged and maxHours (each optional), or null');
  }
  const given = value as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (key !== 'percent' && key !== 'minJudged' && key !== 'maxHours') {
      throw new StoreValidationError(`canary has no setting ${JSON.stringify(key)}; its settings are percent, minJudged and maxHours`);
    }
  }
  const overrides: CanaryOverrides = {};
  if (given.percent !== undefined) {
    const percent = checkInteger('canary.percent', given.percent, 1);
    if (percent > 100) throw new StoreValidationError(`canary.percent must be an integer from 1 to 100, got ${percent}`);
    overrides.percent = percent;
  }
  if (given.minJudged !== undefined) overrides.minJudged = checkInteger('canary.minJudged', given.minJudged, 1);
  if (given.maxHours !== undefined) {
    const hours = given.maxHours;
    if (typeof hours !== 'number' || !(hours > 0 && hours <= MAX_CANARY_HOURS)) {
      throw new StoreValidationError(`canary.maxHours must be a number of hours above 0 and at most ${MAX_CANARY_HOURS}, got ${String(hours)}`);
    }
    overrides.maxHours = hours;
  }
  return Object.keys(overrides).length === 0 ? null : JSON.stringify(overrides);
}

interface JudgedInvocation {
  key: string;
  version: number;
  failed: boolean;
  /** Its first judged verdict's time. */
  at: string;
  /** Whose session it was (its first judged verdict's user). */
  user: string;
}

/**
 * One entry per invocation, the way the invocation workflow sums up its verdicts
 * (workflows/invocation-state.ts invocationVerdict): failed if any of its judged
 * verdicts failed, else passed; its time is its first judged verdict. A verdict
 * row without a tool use id is an invocation of its own. Rows are judged ones only.
 */
function judgedInvocations(
  rows: Pick<Selectable<VerdictsTable>, 'skill_version' | 'session_id' | 'tool_use_id' | 'event_id' | 'outcome' | 'user_name' | 'created_at'>[],
): JudgedInvocation[] {
  const byKey = new Map<string, JudgedInvocation>();
  for (const row of rows) {
    const key = JSON.stringify([row.skill_version, row.session_id, row.tool_use_id ?? { event: row.event_id }]);
    const seen = byKey.get(key);
    const failed = row.outcome === 'failed';
    if (!seen) byKey.set(key, { key, version: row.skill_version, failed, at: row.created_at, user: row.user_name });
    else {
      seen.failed ||= failed;
      if (row.created_at < seen.at) {
        seen.at = row.created_at;
        seen.user = row.user_name;
      }
    }
  }
  return [...byKey.values()];
}

function tally(version: number, invocations: JudgedInvocation[]): VersionEvidence {
  const failed = invocations.filter((i) => i.failed).length;
  return { version, passed: invocations.length - failed, failed };
}
