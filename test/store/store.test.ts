// One suite, run against every engine: what the Store promises must hold on
// SQLite and Postgres alike, versions as trees (contents by hash) included.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentChunks, contentHash, treeFileOf } from '../../core/content-hash';
import { MAX_SKILL_BODY_BYTES } from '../../core/limits';
import { legacyFrontmatter } from '../../core/skill-document';
import { CHUNK_BYTES, fileChunks } from '../../core/skill-tree';
import type { SkillRef } from '../../core/skill-ref';
import { StoreValidationError, VersionConflictError, openStore, type Store } from '../../store/open-store';
import { openMigratedOnly, openRawDatabase, testEngines, uniqueAuthor, type TestDatabase } from './engines';
import { expectOneLineRejection, newVersion, verdict } from './records';
import type { VerdictRecord } from '../../store/types';

/** Refused with a StoreValidationError whose one line matches. */
async function refused(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  expect((await expectOneLineRejection(promise, StoreValidationError)).message).toMatch(pattern);
}

describe.each(testEngines.map((engine) => [engine.name, engine] as const))('store on %s', (_name, engine) => {
  if (engine.skipReason) {
    it.skip(engine.skipReason, () => undefined);
    return;
  }

  let database: TestDatabase;
  let store: Store;

  beforeAll(async () => {
    database = await engine.createDatabase();
    store = await openStore(database.options);
  });

  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it('reports its engine', () => {
    expect(store.engine).toBe(engine.name);
  });

  it('publishes versions and reads them back: latest, by number, history, listLatest', async () => {
    const author = uniqueAuthor();
    const deploy = { name: 'deploy', author };
    const alpha = { name: 'alpha-tool', author };

    const first = await store.publishVersion(newVersion(deploy, 0, { contributors: [author, 'bob'] }));
    expect(first.created).toBe(true);
    expect(first.version).toMatchObject({
      ...deploy,
      version: 1,
      state: 'stable',
      scope: 'org',
      contributors: [author, 'bob'],
      createdBy: author,
      idempotencyKey: null,
    });
    expect(new Date(first.version.createdAt).toISOString()).toBe(first.version.createdAt);

    const second = await store.publishVersion(newVersion(deploy, 1, { scope: 'team', body: 'second body' }));
    expect(second.version.version).toBe(2);
    await store.publishVersion(newVersion(alpha, 0));

    expect(await store.latestVersion(deploy)).toEqual(second.version);
    // Publishing v2 (stable, the default) retired v1.
    expect(await store.getVersion(deploy, 1)).toEqual({ ...first.version, state: 'retired' });
    expect(await store.getVersion(deploy, 3)).toBeUndefined();
    expect(await store.latestVersion({ name: 'never-published', author })).toBeUndefined();
    expect((await store.history(deploy)).map((v) => [v.version, v.state, v.body, v.scope])).toEqual([
      [1, 'retired', first.version.body, 'org'],
      [2, 'stable', 'second body', 'team'],
    ]);

    const mine = (await store.listLatest()).filter((v) => v.author === author);
    expect(mine.map((v) => [v.name, v.version])).toEqual([
      ['alpha-tool', 1],
      ['deploy', 2],
    ]);
  });

  it('orders listLatest by name, then author, bytewise on every engine', async () => {
    const suffix = uniqueAuthor();
    const authors = [`B-${suffix}`, `a-${suffix}`, `_-${suffix}`];
    for (const author of authors) await store.publishVersion(newVersion({ name: 'zz-order-check', author }, 0));
    const listed = (await store.listLatest()).filter((v) => v.name === 'zz-order-check' && v.author.endsWith(suffix));
    expect(listed.map((v) => v.author)).toEqual([`B-${suffix}`, `_-${suffix}`, `a-${suffix}`]);
  });

  it('returns the same version for a repeated idempotency key', async () => {
    const ref = { name: 'idempotent', author: uniqueAuthor() };
    const input = newVersion(ref, 0, { idempotencyKey: `proposal-${ref.author}` });

    const first = await store.publishVersion(input);
    const retry = await store.publishVersion(input);
    expect(first.created).toBe(true);
    expect(retry).toEqual({ version: first.version, created: false });
    expect(retry.version.idempotencyKey).toBe(input.idempotencyKey);

    // A retry after another version was published still finds its own row (as it is now: retired) instead of conflicting.
    await store.publishVersion(newVersion(ref, 1));
    expect(await store.publishVersion(input)).toEqual({ version: { ...first.version, state: 'retired' }, created: false });
    expect((await store.history(ref)).map((v) => v.version)).toEqual([1, 2]);

    // The same key for another skill is a caller bug, not a retry.
    await expectOneLineRejection(
      store.publishVersion(newVersion({ name: 'other-skill', author: ref.author }, 0, { idempotencyKey: input.idempotencyKey })),
      StoreValidationError,
    );
    expect(await store.history({ name: 'other-skill', author: ref.author })).toEqual([]);
  });

  it('rejects a publish whose base is not the latest version', async () => {
    const ref = { name: 'stale-base', author: uniqueAuthor() };
    await store.publishVersion(newVersion(ref, 0));

    const stale = await expectOneLineRejection(store.publishVersion(newVersion(ref, 0)), VersionConflictError);
    expect(stale.version).toBe(1);
    expect(stale.ref).toEqual(ref);
    await expectOneLineRejection(store.publishVersion(newVersion(ref, 5)), VersionConflictError);
    await expectOneLineRejection(store.publishVersion(newVersion({ name: 'brand-new', author: ref.author }, 1)), VersionConflictError);
    expect((await store.history(ref)).map((v) => v.version)).toEqual([1]);
  });

  it('lets exactly one of two concurrent publishers with the same base win', async () => {
    const ref = { name: 'race', author: uniqueAuthor() };
    const results = await Promise.allSettled([
      store.publishVersion(newVersion(ref, 0, { body: 'from A', idempotencyKey: `${ref.author}-a` })),
      store.publishVersion(newVersion(ref, 0, { body: 'from B', idempotencyKey: `${ref.author}-b` })),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const [rejected] = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected?.reason).toBeInstanceOf(VersionConflictError);
    expect((await store.history(ref)).map((v) => v.version)).toEqual([1]);
  });

  it('lets exactly one of two Store instances on the same database win, and a racing retry share the row', async () => {
    const other = await openStore(database.options);
    try {
      for (let round = 0; round < 3; round++) {
        const ref = { name: `two-stores-${round}`, author: uniqueAuthor() };
        const results = await Promise.allSettled([
          store.publishVersion(newVersion(ref, 0, { body: 'from this store' })),
          other.publishVersion(newVersion(ref, 0, { body: 'from the other store' })),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const [rejected] = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(rejected?.reason).toBeInstanceOf(VersionConflictError);
        expect(await store.history(ref)).toHaveLength(1);
        expect(await other.latestVersion(ref)).toEqual(await store.latestVersion(ref));

        // The same publish retried concurrently (same key): both get the one row.
        const input = newVersion(ref, 1, { idempotencyKey: `${ref.author}-retry` });
        const [a, b] = await Promise.all([store.publishVersion(input), other.publishVersion(input)]);
        expect(a.version).toEqual(b.version);
        expect(a.version.version).toBe(2);
        expect([a.created, b.created].sort()).toEqual([false, true]);
      }
    } finally {
      await other.close();
    }
  });

  it('rejects a body over MAX_SKILL_BODY_BYTES of UTF-8 and invalid refs, writing nothing', async () => {
    const author = uniqueAuthor();
    const ref = { name: 'big-body', author };
    // Two bytes per character: under the limit in characters, over it in bytes.
    const tooBig = 'é'.repeat(MAX_SKILL_BODY_BYTES / 2 + 1);
    const err = await expectOneLineRejection(store.publishVersion(newVersion(ref, 0, { body: tooBig })), StoreValidationError);
    expect(err.message).toContain(`${MAX_SKILL_BODY_BYTES}`);
    expect(await store.history(ref)).toEqual([]);

    const exactlyAtLimit = 'x'.repeat(MAX_SKILL_BODY_BYTES);
    expect((await store.publishVersion(newVersion(ref, 0, { body: exactlyAtLimit }))).version.body).toBe(exactlyAtLimit);

    for (const bad of [
      { name: 'Bad_Name', author },
      { name: 'two--dashes', author },
      { name: '', author },
      { name: 'fine', author: '../etc' },
      { name: 'fine', author: 'has space' },
      { name: 'fine', author: '' },
    ]) {
      await expectOneLineRejection(store.publishVersion(newVersion(bad, 0)), StoreValidationError);
      expect(await store.history(bad)).toEqual([]);
    }

    await expectOneLineRejection(store.publishVersion(newVersion({ name: 'nul', author }, 0, { body: 'a\u0000b' })), StoreValidationError);
    await expectOneLineRejection(store.publishVersion(newVersion({ name: 'neg', author }, -1)), StoreValidationError);
    expect((await store.listLatest()).filter((v) => v.author === author).map((v) => v.name)).toEqual(['big-body']);
  });

  it('keeps Unicode, quotes and SQL metacharacters untouched', async () => {
    const ref = { name: 'injection', author: uniqueAuthor() };
    const body = [
      "'); DROP TABLE skill_versions; --",
      '"; DELETE FROM verdicts WHERE 1=1; --',
      "O'Reilly \\' \\\\ \\x00 $1 $$ ? :name %s %%",
      'emoji 🧪🚀 CJK 漢字 RTL עברית combining é e\u0301 ZWJ 👩‍💻',
      'line\r\nendings\ttabs\u2028separator',
      '`backticks` [brackets] {braces} /* comment */',
    ].join('\n');
    const description = "says \"hi\" and 'bye'; -- not a comment";
    const published = await store.publishVersion(
      newVersion(ref, 0, { body, description, contributors: ["o'brien", 'Robert"); DROP TABLE attributions;--'] }),
    );
    expect(published.version.body).toBe(body);
    expect(await store.latestVersion(ref)).toMatchObject({
      body,
      description,
      contributors: ["o'brien", 'Robert"); DROP TABLE attributions;--'],
    });

    await store.recordEdit({
      ...ref,
      fingerprint: "fp'; --",
      summaries: ["replace 'x' with \"y\" 🚀"],
      edits: [{ op: 'replace', old: "'); --", new: 'e\u0301' }],
      baseVersion: 0,
      publishedVersion: 1,
    });
    expect((await store.recentEdits(ref, 1))[0]).toMatchObject({
      fingerprint: "fp'; --",
      summaries: ["replace 'x' with \"y\" 🚀"],
      edits: [{ op: 'replace', old: "'); --", new: 'e\u0301' }],
    });
    expect(await store.hasEditFingerprint(ref, "fp'; --")).toBe(true);
    expect(await store.hasEditFingerprint(ref, "' OR '1'='1")).toBe(false);

    await store.recordVerdict(verdict(ref, `evt-${ref.author}'; --`, { reason: body }));
    expect((await store.verdicts(ref))[0]?.reason).toBe(body);
    // The tables named in the payloads are still there.
    expect((await store.listLatest()).length).toBeGreaterThan(0);
  });

  it('records edits, finds fingerprints of any status, and resolves only the proposed edit of a version', async () => {
    const ref = { name: 'edited', author: uniqueAuthor() };
    const edit = (publishedVersion: number, fingerprint: string) => ({
      ...ref,
      fingerprint,
      summaries: [`summary ${fingerprint}`],
      edits: [{ op: 'add', text: `rule ${fingerprint}`, nested: { n: publishedVersion, list: [1, null, true] } }],
      baseVersion: publishedVersion - 1,
      publishedVersion,
    });

    const e2 = await store.recordEdit(edit(2, 'fp-2'));
    expect(e2).toMatchObject({ ...edit(2, 'fp-2'), status: 'proposed', resolvedAt: null });
    expect(typeof e2.id).toBe('number');
    const e3 = await store.recordEdit(edit(3, 'fp-3'));
    // A retried recordEdit returns the row already written; a different edit for that version is refused.
    expect(await store.recordEdit(edit(3, 'fp-3'))).toEqual(e3);
    await expectOneLineRejection(store.recordEdit(edit(3, 'fp-other')), StoreValidationError);

    expect(await store.hasEditFingerprint(ref, 'fp-2')).toBe(true);
    expect(await store.hasEditFingerprint(ref, 'fp-9')).toBe(false);
    expect(await store.hasEditFingerprint({ name: 'edited', author: uniqueAuthor() }, 'fp-2')).toBe(false);

    expect(await store.resolveEdit(ref, 4, 'applied')).toBeUndefined();
    const applied = await store.resolveEdit(ref, 2, 'applied');
    expect(applied).toMatchObject({ id: e2.id, status: 'applied', publishedVersion: 2 });
    expect(applied?.resolvedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await store.resolveEdit(ref, 2, 'reverted')).toBeUndefined();
    expect(await store.hasEditFingerprint(ref, 'fp-2')).toBe(true);

    const recent = await store.recentEdits(ref, 10);
    expect(recent.map((e) => [e.publishedVersion, e.status])).toEqual([
      [3, 'proposed'],
      [2, 'applied'],
    ]);
    expect(await store.recentEdits(ref, 1)).toEqual([e3]);
    expect(await store.recentEdits(ref, 0)).toEqual([]);
    // What a fresh workflow run reads at start: how many edits, and which still await a verdict.
    expect(await store.editStats(ref)).toEqual({ published: 2, awaitingOutcome: [3] });
    expect(await store.editStats({ name: 'edited', author: uniqueAuthor() })).toEqual({ published: 0, awaitingOutcome: [] });

    const [first, second] = await Promise.all([store.resolveEdit(ref, 3, 'reverted'), store.resolveEdit(ref, 3, 'applied')]);
    expect([first, second].filter((e) => e !== undefined)).toHaveLength(1);
  });

  it('does not count an edit the pre-publish check turned down as published: it reached nobody', async () => {
    const ref = { name: 'turned-down', author: uniqueAuthor() };
    const base = { ...ref, description: 'Use when deploying', contributors: [ref.author] };
    await store.publishVersion({ ...base, body: '# v1\n', createdBy: ref.author, baseVersion: 0 });
    await store.publishVersion({ ...base, body: '# v2\n', createdBy: 'skillopt', baseVersion: 1, state: 'rejected', decidedBy: 'the pre-publish check' });
    await store.recordEdit({ ...ref, fingerprint: 'fp-rejected', summaries: ['drop a step'], edits: [], baseVersion: 1, publishedVersion: 2, status: 'reverted' });
    await store.publishVersion({ ...base, body: '# v3\n', createdBy: 'skillopt', baseVersion: 1, state: 'candidate' });
    await store.recordEdit({ ...ref, fingerprint: 'fp-kept', summaries: ['add a step'], edits: [], baseVersion: 1, publishedVersion: 3 });
    // A candidate the canary reverts later was published (to its cohort): it still counts.
    await store.setVersionState(ref, 3, 'rejected', { decidedBy: 'skillopt', reason: 'reverted', expectedFrom: 'candidate' });
    expect(await store.editStats(ref)).toEqual({ published: 1, awaitingOutcome: [3] });
    // Edit memory still has the turned-down edit: the proposer never repeats it.
    expect(await store.hasEditFingerprint(ref, 'fp-rejected')).toBe(true);
  });

  it('records a verdict once per event id', async () => {
    const ref = { name: 'judged', author: uniqueAuthor() };
    const createdAt = '2025-01-02T03:04:05.678Z';
    expect(await store.recordVerdict(verdict(ref, `${ref.author}-1`, { createdAt }))).toBe(true);
    expect(await store.recordVerdict(verdict(ref, `${ref.author}-1`, { outcome: 'passed' }))).toBe(false);
    // The first verdict of an event stands, and is found by its event id.
    expect(await store.verdictForEvent(`${ref.author}-1`)).toMatchObject({ eventId: `${ref.author}-1`, outcome: 'failed', name: ref.name, author: ref.author });
    expect(await store.verdictForEvent(`${ref.author}-never`)).toBeUndefined();
    expect(
      await store.recordVerdict(verdict(ref, `${ref.author}-2`, { outcome: 'passed', confidence: 1, toolUseId: null, skillVersion: 2 })),
    ).toBe(true);

    const concurrent = await Promise.all([
      store.recordVerdict(verdict(ref, `${ref.author}-3`)),
      store.recordVerdict(verdict(ref, `${ref.author}-3`)),
    ]);
    expect(concurrent.sort()).toEqual([false, true]);

    const stored = await store.verdicts(ref);
    expect(stored).toHaveLength(3);
    expect(stored[0]).toEqual(verdict(ref, `${ref.author}-1`, { createdAt }));
    expect(stored[1]).toMatchObject({ outcome: 'passed', confidence: 1, toolUseId: null, skillVersion: 2 });
    expect(stored[2]?.confidence).toBe(0.7);

    await expectOneLineRejection(store.recordVerdict(verdict(ref, `${ref.author}-4`, { confidence: 1.5 })), StoreValidationError);
    await expectOneLineRejection(store.recordVerdict(verdict(ref, `${ref.author}-5`, { createdAt: 'yesterday' })), StoreValidationError);
    expect(await store.verdicts(ref)).toHaveLength(3);
  });

  it('keeps where a passing window is, and gives the held-out passing invocations of a version: the newest of each user first, none the proposer saw', async () => {
    const ref = { name: 'held-out', author: uniqueAuthor() };
    const evidence = (user: string, n: number) => ({
      invocation: { sessionId: `s-${user}-${n}`, toolUseId: `t-${n}`, user, agent: 'claude_code', skillVersion: 2, transcriptPath: `/home/${user}/.claude/projects/p/s.jsonl`, transcriptBytes: 100 * n, activityQueue: `skillopt-machine-${user}` },
      reaction: { eventId: `${ref.author}-${user}-${n}`, text: 'great, thanks', transcriptPath: `/home/${user}/.claude/projects/p/s.jsonl`, transcriptBytes: 200 * n },
    });
    const pass = (user: string, n: number, extra: Partial<VerdictRecord> = {}) =>
      store.recordVerdict(verdict(ref, `${ref.author}-${user}-${n}`, { outcome: 'passed', skillVersion: 2, user, sessionId: `s-${user}-${n}`, toolUseId: `t-${n}`, evidence: evidence(user, n), ...extra }));
    await pass('alice', 1);
    await pass('alice', 2);
    await pass('alice', 3);
    await pass('bob', 4);
    await pass('carol', 5, { skillVersion: 1, evidence: { ...evidence('carol', 5), invocation: { ...evidence('carol', 5).invocation, skillVersion: 1 } } });
    // A pass without evidence (an older worker's) and a failure never count.
    await store.recordVerdict(verdict(ref, `${ref.author}-dave-6`, { outcome: 'passed', skillVersion: 2, user: 'dave' }));
    await store.recordVerdict(verdict(ref, `${ref.author}-erin-7`, { outcome: 'failed', skillVersion: 2, user: 'erin' }));

    expect((await store.verdictForEvent(`${ref.author}-bob-4`))?.evidence).toEqual(evidence('bob', 4));
    const ids = (records: VerdictRecord[]) => records.map((r) => r.eventId.slice(ref.author.length + 1));
    expect(ids(await store.heldOutPasses(ref, 2, 3))).toEqual(['bob-4', 'alice-3', 'alice-2']);
    expect(ids(await store.heldOutPasses(ref, 2, 2, [`${ref.author}-alice-3`]))).toEqual(['bob-4', 'alice-2']);
    expect(ids(await store.heldOutPasses(ref, 1, 3))).toEqual(['carol-5']);
    expect(await store.heldOutPasses(ref, 2, 0)).toEqual([]);
    // An invocation counts once, and only if none of its reactions failed (as the canary counts it); one the
    // proposer saw is not held out, whichever of its reactions was named.
    await pass('bob', 9, { eventId: `${ref.author}-bob-4b`, sessionId: 's-bob-4', toolUseId: 't-4' });
    await pass('frank', 10);
    await store.recordVerdict(verdict(ref, `${ref.author}-frank-10b`, { outcome: 'failed', skillVersion: 2, user: 'frank', sessionId: 's-frank-10', toolUseId: 't-10' }));
    expect(ids(await store.heldOutPasses(ref, 2, 10))).toEqual(['bob-4b', 'alice-3', 'alice-2', 'alice-1']);
    expect(ids(await store.heldOutPasses(ref, 2, 10, [`${ref.author}-bob-4`]))).toEqual(['alice-3', 'alice-2', 'alice-1']);
    await expectOneLineRejection(pass('alice', 8, { evidence: { ...evidence('alice', 8), reaction: { ...evidence('alice', 8).reaction, transcriptBytes: -1 } } }), StoreValidationError);
  });

  /** A published version N whose edit is still proposed. */
  async function proposedEdit(ref: SkillRef, publishedVersion: number): Promise<void> {
    await store.recordEdit({
      ...ref,
      fingerprint: `fp-${publishedVersion}`,
      summaries: [`edit for v${publishedVersion}`],
      edits: [],
      baseVersion: publishedVersion - 1,
      publishedVersion,
    });
  }

  async function editStatus(ref: SkillRef, publishedVersion: number): Promise<string | undefined> {
    return (await store.recentEdits(ref, 100)).find((e) => e.publishedVersion === publishedVersion)?.status;
  }

  it('round-trips a not-judged verdict as not-judged, and resolves no edit with it', async () => {
    const ref = { name: 'not-judged', author: uniqueAuthor() };
    await proposedEdit(ref, 2);
    const input = verdict(ref, `${ref.author}-nj`, { outcome: 'not-judged', skillVersion: 2, confidence: 0, reason: 'transcript unreadable' });
    expect(await store.recordVerdict(input)).toBe(true);

    expect(await store.verdictForEvent(input.eventId)).toMatchObject({ outcome: 'not-judged', skillVersion: 2, reason: 'transcript unreadable' });
    expect((await store.verdicts(ref)).map((v) => v.outcome)).toEqual(['not-judged']);
    expect(await editStatus(ref, 2)).toBe('proposed');
    expect(await store.editStats(ref)).toEqual({ published: 1, awaitingOutcome: [2] });
    // A retry of it resolves nothing either.
    expect(await store.recordVerdict(input)).toBe(false);
    expect(await editStatus(ref, 2)).toBe('proposed');
  });

  it('resolves the proposed edit of a verdict\'s version: passed to applied, failed to reverted, once', async () => {
    const ref = { name: 'resolving', author: uniqueAuthor() };
    await proposedEdit(ref, 2);
    await proposedEdit(ref, 3);

    // A verdict on a version no edit published (the original v1) touches no edit.
    await store.recordVerdict(verdict(ref, `${ref.author}-v1`, { outcome: 'failed', skillVersion: 1 }));
    expect(await store.editStats(ref)).toEqual({ published: 2, awaitingOutcome: [2, 3] });

    await store.recordVerdict(verdict(ref, `${ref.author}-v2`, { outcome: 'passed', skillVersion: 2 }));
    expect(await editStatus(ref, 2)).toBe('applied');
    expect(await editStatus(ref, 3)).toBe('proposed');
    await store.recordVerdict(verdict(ref, `${ref.author}-v3`, { outcome: 'failed', skillVersion: 3 }));
    expect(await editStatus(ref, 3)).toBe('reverted');
    expect(await store.editStats(ref)).toEqual({ published: 2, awaitingOutcome: [] });
    const resolved = await store.recentEdits(ref, 2);
    expect(resolved.every((e) => e.resolvedAt !== null)).toBe(true);

    // Later verdicts on those versions do not flip them.
    await store.recordVerdict(verdict(ref, `${ref.author}-v2-again`, { outcome: 'failed', skillVersion: 2 }));
    await store.recordVerdict(verdict(ref, `${ref.author}-v3-again`, { outcome: 'passed', skillVersion: 3 }));
    expect(await store.recentEdits(ref, 2)).toEqual(resolved);
    // Another skill's edit of the same version number is not touched.
    const other = { name: 'resolving-other', author: ref.author };
    await proposedEdit(other, 2);
    await store.recordVerdict(verdict(ref, `${ref.author}-v2-third`, { outcome: 'passed', skillVersion: 2 }));
    expect(await editStatus(other, 2)).toBe('proposed');
  });

  it('resolves a still-proposed edit on a retried verdict, by the verdict first recorded', async () => {
    const ref = { name: 'retried', author: uniqueAuthor() };
    // The verdict lands while its edit is not recorded yet (as after a crash before the
    // resolve): nothing to resolve then; the retry, same event id, resolves it.
    const first = verdict(ref, `${ref.author}-retry`, { outcome: 'failed', skillVersion: 2 });
    expect(await store.recordVerdict(first)).toBe(true);
    await proposedEdit(ref, 2);
    expect(await editStatus(ref, 2)).toBe('proposed');

    // The retry says "passed", but the event's first verdict stands, and it is what resolves.
    expect(await store.recordVerdict({ ...first, outcome: 'passed' })).toBe(false);
    expect(await editStatus(ref, 2)).toBe('reverted');
    expect((await store.verdicts(ref)).map((v) => v.outcome)).toEqual(['failed']);

    // Concurrent retries of a passed verdict resolve the edit exactly once.
    const again = verdict(ref, `${ref.author}-retry-3`, { outcome: 'passed', skillVersion: 3 });
    expect(await store.recordVerdict(again)).toBe(true);
    await proposedEdit(ref, 3);
    expect((await Promise.all([store.recordVerdict(again), store.recordVerdict(again)])).sort()).toEqual([false, false]);
    expect(await editStatus(ref, 3)).toBe('applied');
  });

  it('rejects an outcome that is not passed, failed or not-judged, writing nothing', async () => {
    const ref = { name: 'bad-outcome', author: uniqueAuthor() };
    await proposedEdit(ref, 2);
    for (const [i, bad] of ['success', 'Passed', 'failed\nDROP TABLE verdicts', '', undefined, true, 1].entries()) {
      const eventId = `${ref.author}-bad-${i}`;
      const err = await expectOneLineRejection(
        store.recordVerdict(verdict(ref, eventId, { outcome: bad as never, skillVersion: 2 })),
        StoreValidationError,
      );
      expect(err.message).toMatch(/^outcome must be "passed", "failed" or "not-judged", got /);
      expect(await store.verdictForEvent(eventId)).toBeUndefined();
    }
    expect(await store.verdicts(ref)).toEqual([]);
    expect(await editStatus(ref, 2)).toBe('proposed');
  });

  it('upgrades a database migrated only to 0001: success 0 reads back as failed, 1 as passed', async () => {
    const old = await engine.createDatabase();
    try {
      const ref = { name: 'from-0001', author: uniqueAuthor() };
      const raw = await openMigratedOnly(old.options, ['0001_initial']);
      try {
        for (const [eventId, success] of [
          ['old-failed', 0],
          ['old-passed', 1],
        ] as const) {
          await sql`insert into verdicts (name, author, skill_version, session_id, tool_use_id, event_id, success,
                      confidence, reason, agent, user_name, created_at)
                    values (${ref.name}, ${ref.author}, 1, 's-old', null, ${eventId}, ${success},
                      0.5, 'written by 0001', 'claude-code', 'alice', '2025-01-01T00:00:00.000Z')`.execute(raw);
        }
        await sql`insert into skill_edits (name, author, fingerprint, summaries, edits, base_version, published_version,
                    status, created_at, resolved_at)
                  values (${ref.name}, ${ref.author}, 'fp-old', '[]', '[]', 1, 2, 'proposed', '2025-01-01T00:00:00.000Z', null)`.execute(raw);
      } finally {
        await raw.destroy();
      }

      const upgraded = await openStore(old.options);
      try {
        expect((await upgraded.verdicts(ref)).map((v) => [v.eventId, v.outcome])).toEqual([
          ['old-failed', 'failed'],
          ['old-passed', 'passed'],
        ]);
        expect(await upgraded.verdictForEvent('old-failed')).toMatchObject({ reason: 'written by 0001', skillVersion: 1 });
        // The upgraded store works as a new one: a not-judged verdict resolves nothing, a passed one resolves.
        await upgraded.recordVerdict(verdict(ref, 'new-not-judged', { outcome: 'not-judged', skillVersion: 2 }));
        expect((await upgraded.editStats(ref)).awaitingOutcome).toEqual([2]);
        await upgraded.recordVerdict(verdict(ref, 'new-passed', { outcome: 'passed', skillVersion: 2 }));
        expect((await upgraded.recentEdits(ref, 1))[0]?.status).toBe('applied');
      } finally {
        await upgraded.close();
      }

      // The legacy column is still written, 0 only for "failed"; the outcome column refuses other values.
      const { db: after } = await openRawDatabase(old.options);
      try {
        const { rows } = await sql<{ event_id: string; outcome: string; success: number }>`
          select event_id, outcome, success from verdicts order by id`.execute(after);
        expect(rows.map((r) => [r.event_id, r.outcome, Number(r.success)])).toEqual([
          ['old-failed', 'failed', 0],
          ['old-passed', 'passed', 1],
          ['new-not-judged', 'not-judged', 1],
          ['new-passed', 'passed', 1],
        ]);
        await expect(sql`update verdicts set outcome = 'maybe' where event_id = 'old-passed'`.execute(after)).rejects.toThrow();
      } finally {
        await after.destroy();
      }
    } finally {
      await old.drop();
    }
  });

  it('records and reads attributions by session', async () => {
    const author = uniqueAuthor();
    const sessionId = `session-${author}`;
    const record = {
      sessionId,
      user: 'alice',
      cwd: '/home/alice/projects/thing with spaces',
      agent: 'claude-code',
      abBucket: 1,
      skills: [
        { name: 'deploy', author, version: 3 },
        { name: 'review', author: 'kamo@activeloop.ai', version: 1 },
      ],
      createdAt: '2025-06-01T12:00:00.000Z',
    };
    await store.recordAttribution(record);
    await store.recordAttribution({ ...record, abBucket: 0, skills: [], createdAt: undefined });

    const rows = await store.attributions(sessionId);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual(record);
    expect(rows[1]).toMatchObject({ abBucket: 0, skills: [] });
    expect(rows[1]?.createdAt).toMatch(/Z$/);
    expect(await store.attributions(`${sessionId}-none`)).toEqual([]);

    await expectOneLineRejection(
      store.recordAttribution({ ...record, skills: [{ name: 'Not Valid', author, version: 1 }] }),
      StoreValidationError,
    );
    expect(await store.attributions(sessionId)).toHaveLength(2);
  });

  it('migrates idempotently: reopening, and opening a fresh database twice at once', async () => {
    const ref = { name: 'survives-reopen', author: uniqueAuthor() };
    await store.publishVersion(newVersion(ref, 0));
    for (let i = 0; i < 2; i++) {
      const again = await openStore(database.options);
      expect((await again.latestVersion(ref))?.version).toBe(1);
      await again.close();
    }

    const fresh = await engine.createDatabase();
    try {
      const stores = await Promise.all([openStore(fresh.options), openStore(fresh.options), openStore(fresh.options)]);
      await stores[0]?.publishVersion(newVersion(ref, 0));
      for (const s of stores) expect((await s.latestVersion(ref))?.version).toBe(1);
      await Promise.all(stores.map((s) => s.close()));
    } finally {
      await fresh.drop();
    }
  });

  it('closes idempotently', async () => {
    const extra = await openStore(database.options);
    await extra.close();
    await extra.close();
  });

  describe('a version is a tree: contents stored once by hash, checked on the way in, and the migration from one-file versions', () => {
    it('keeps each content once, says which it lacks, and hands back exactly what was put', async () => {
      const font = randomBytes(CHUNK_BYTES + 10);
      const chunks = contentChunks(font);
      const hashes = chunks.map((c) => c.hash);
      expect(await store.missingContents([...hashes, hashes[0]!])).toEqual(hashes);
      await store.putContents(chunks);
      await store.putContents(chunks.slice(0, 1)); // a second copy is nothing to write
      expect(await store.missingContents(hashes)).toEqual([]);
      const got = await store.getContents(hashes);
      expect(Buffer.concat(hashes.map((h) => got.get(h)!)).equals(font)).toBe(true);
    });

    it('refuses a chunk that does not match its hash, or a hash that is not one, in one line', async () => {
      const data = Buffer.from('the real content\n');
      await refused(store.putContents([{ hash: contentHash(Buffer.from('another')), data }]), /does not match its hash/);
      await refused(store.missingContents(['../../etc/passwd']), /is not a content hash/);
    });

    it('publishes a tree only when every content is in the store, and keeps the tree and the frontmatter', async () => {
      const ref = { name: 'forms', author: uniqueAuthor() };
      const script = Buffer.from('#!/bin/sh\necho hi\n');
      const big = randomBytes(CHUNK_BYTES * 2 + 1);
      const files = [treeFileOf('scripts/run.sh', script, true), treeFileOf('assets/big.bin', big, false)];
      const frontmatter = 'name: forms\ndescription: does forms\nlicense: MIT  # as written';
      await refused(store.publishVersion(newVersion(ref, 0, { files, frontmatter })), /4 chunks of its files' contents are not in the store; upload them before publishing/);
      expect(await store.history(ref)).toEqual([]);

      await store.putContents([...contentChunks(script), ...contentChunks(big)]);
      const { version } = await store.publishVersion(newVersion(ref, 0, { files, frontmatter }));
      expect(version.frontmatter).toBe(frontmatter);
      // Sorted by path, as every reader gets it.
      expect(version.files.map((f) => [f.path, f.size, f.executable, fileChunks(f).length])).toEqual([
        ['assets/big.bin', big.length, false, 3],
        ['scripts/run.sh', script.length, true, 1],
      ]);
      expect(await store.getVersion(ref, 1)).toEqual(version);
    });

    it('refuses a tree with a path out of the folder, in one line', async () => {
      const ref = { name: 'escape', author: uniqueAuthor() };
      const file = treeFileOf('../outside.sh', Buffer.from('x'), true);
      await refused(store.publishVersion(newVersion(ref, 0, { files: [file] })), /\.\.\/outside\.sh: a path part "\.\."/);
    });

    it('the migration turns every version written before into a one-file tree, losing nothing', async () => {
      const old = await engine.createDatabase();
      try {
        const raw = await openMigratedOnly(old.options, ['0001_initial', '0002_verdict_outcome', '0003_version_states']);
        try {
          await sql`insert into skill_versions (name, author, version, body, description, scope, contributors, created_at, created_by, idempotency_key, state)
                    values ('deploy', 'alice', 1, '# Deploy\n', 'Use when deploying', 'org', '["alice"]', '2025-01-01T00:00:00.000Z', 'alice', null, 'stable')`.execute(raw);
        } finally {
          await raw.destroy();
        }
        const upgraded = await openStore(old.options);
        try {
          const v = await upgraded.getVersion({ name: 'deploy', author: 'alice' }, 1);
          expect(v).toMatchObject({ body: '# Deploy\n', description: 'Use when deploying', files: [], frontmatter: legacyFrontmatter('deploy', 'Use when deploying') });
        } finally {
          await upgraded.close();
        }
      } finally {
        await old.drop();
      }
    });
  });
});
