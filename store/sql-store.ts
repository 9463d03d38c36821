// The Store over Kysely: one set of queries for both engines, every value a bound
// parameter. Engine specifics come in through StoreEngine. Methods that validate
// are async so that a StoreValidationError arrives as a rejection, like every other.
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { SkillRef } from '../core/skill-ref';
import type { VerdictOutcome } from '../core/verdict';
import { MAX_DESCRIPTION_CHARS, MAX_SKILL_BODY_BYTES } from '../core/limits';
import type { StoreEngine } from './engine';
import type { AttributionsTable, SkillEditsTable, SkillVersionsTable, StoreDatabase, VerdictsTable } from './schema';
import {
  StoreUnavailableError,
  StoreValidationError,
  VersionConflictError,
  type AttributionRecord,
  type EditRecord,
  type NewEditRecord,
  type NewSkillVersion,
  type PublishResult,
  type SkillVersion,
  type Store,
  type VerdictRecord,
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
    const row: SkillVersionsTable = {
      name: ref.name,
      author: ref.author,
      version: baseVersion + 1,
      body: checkText(`body of ${label}`, input.body, { maxBytes: MAX_SKILL_BODY_BYTES, limitName: 'MAX_SKILL_BODY_BYTES' }),
      description: checkText(`description of ${label}`, input.description, {
        maxChars: MAX_DESCRIPTION_CHARS,
        limitName: 'MAX_DESCRIPTION_CHARS',
      }),
      scope: checkText('scope', input.scope ?? DEFAULT_SCOPE, { required: true, maxChars: MAX_SCOPE_CHARS }),
      contributors: JSON.stringify(checkStringList('contributors', input.contributors)),
      created_at: new Date().toISOString(),
      created_by: checkText('createdBy', input.createdBy),
      idempotency_key: checkOptionalId('idempotencyKey', input.idempotencyKey),
    };

    return this.guard(async () => {
      try {
        return await this.db.transaction().execute(async (trx) => {
          const existing = await this.byIdempotencyKey(trx, row.idempotency_key, ref);
          if (existing) return { version: existing, created: false };

          const latest = await trx
            .selectFrom('skill_versions')
            .select((eb) => eb.fn.max('version').as('version'))
            .where('name', '=', ref.name)
            .where('author', '=', ref.author)
            .executeTakeFirst();
          if ((latest?.version ?? 0) !== baseVersion) throw new VersionConflictError(ref, row.version);

          const inserted = await trx.insertInto('skill_versions').values(row).returningAll().executeTakeFirstOrThrow();
          return { version: toSkillVersion(inserted), created: true };
        });
      } catch (err) {
        if (!(err instanceof VersionConflictError) && !this.spec.isUniqueViolation(err)) throw err;
        // Another writer got there first: its insert collided with ours, or (Postgres,
        // READ COMMITTED) it committed between our key lookup and our version check.
        // If that writer was a retry of this very publish, its row is ours.
        const existing = await this.byIdempotencyKey(this.db, row.idempotency_key, ref);
        if (existing) return { version: existing, created: false };
        throw new VersionConflictError(ref, row.version);
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
        if (stored.outcome !== 'not-judged') {
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
