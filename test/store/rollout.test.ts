// The rollout's part of the store (DESIGN.md "Rollout"), on every engine:
// version states and their transitions, publishing candidates, the numbering
// after a rejected one, per-skill settings and the canary's evidence.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receivedSkillRecord, type ReceivedSkillRecord } from '../../core/messages';
import type { VersionState } from '../../core/rollout-types';
import { legacyFrontmatter } from '../../core/skill-document';
import type { SkillRef } from '../../core/skill-ref';
import { StoreValidationError, VersionConflictError, openStore, type Store } from '../../store/open-store';
import { openMigratedOnly, openRawDatabase, testEngines, uniqueAuthor, type TestDatabase } from './engines';
import { expectOneLineRejection, newVersion, verdict } from './records';

const label = (ref: SkillRef) => `${ref.name}--${ref.author}`;

describe.each(testEngines.map((engine) => [engine.name, engine] as const))('rollout store on %s', (_name, engine) => {
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

  const states = async (ref: SkillRef) => (await store.history(ref)).map((v) => [v.version, v.state]);
  const moves = async (ref: SkillRef) => (await store.transitions(ref)).map((t) => [t.version, t.from, t.to, t.decidedBy, t.reason]);

  describe('publishVersion', () => {
    it('publishes stable by default, retiring the previous stable version with a transition row each', async () => {
      const ref = { name: 'deploy', author: uniqueAuthor() };
      const v1 = await store.publishVersion(newVersion(ref, 0));
      expect(v1.version.state).toBe('stable');
      const v2 = await store.publishVersion(newVersion(ref, 1, { createdBy: 'bob', reason: 'pushed from bob-laptop' }));
      expect(v2.version).toMatchObject({ version: 2, state: 'stable' });

      expect(await states(ref)).toEqual([
        [1, 'retired'],
        [2, 'stable'],
      ]);
      expect(await store.stableVersion(ref)).toEqual(v2.version);
      expect(await store.candidateVersion(ref)).toBeUndefined();

      const transitions = await store.transitions(ref);
      expect(transitions.map((t) => [t.version, t.from, t.to, t.decidedBy, t.reason])).toEqual([
        [1, null, 'stable', ref.author, 'published'],
        [2, null, 'stable', 'bob', 'pushed from bob-laptop'],
        [1, 'stable', 'retired', 'bob', 'replaced by v2'],
      ]);
      expect(transitions[1]).toMatchObject({ name: ref.name, author: ref.author, at: v2.version.createdAt });
      expect(transitions[2]?.at).toBe(v2.version.createdAt);
    });

    it('publishes a candidate beside the stable version, one at a time, and a retry of it returns the row', async () => {
      const ref = { name: 'lint', author: uniqueAuthor() };
      await store.publishVersion(newVersion(ref, 0));
      const input = newVersion(ref, 1, { state: 'candidate', createdBy: 'skillopt', idempotencyKey: `cand-${ref.author}`, reason: '2 failures: wrong cluster' });
      const candidate = await store.publishVersion(input);
      expect(candidate).toMatchObject({ created: true, version: { version: 2, state: 'candidate', createdBy: 'skillopt' } });
      expect(await states(ref)).toEqual([
        [1, 'stable'],
        [2, 'candidate'],
      ]);
      expect((await store.stableVersion(ref))?.version).toBe(1);
      expect(await store.candidateVersion(ref)).toEqual(candidate.version);
      expect((await moves(ref)).at(-1)).toEqual([2, null, 'candidate', 'skillopt', '2 failures: wrong cluster']);

      // The same publish again (an activity retry) is not a second candidate.
      expect(await store.publishVersion(input)).toEqual({ version: candidate.version, created: false });

      // Another candidate, on any base, is refused while v2 is on trial; nothing is written.
      const refused = await expectOneLineRejection(
        store.publishVersion(newVersion(ref, 2, { state: 'candidate', idempotencyKey: `other-${ref.author}` })),
        StoreValidationError,
      );
      expect(refused.message).toBe(`${label(ref)} already has a candidate, v2; promote or reject it before publishing another`);
      await expectOneLineRejection(store.publishVersion(newVersion(ref, 1, { state: 'candidate' })), StoreValidationError);
      expect(await states(ref)).toEqual([
        [1, 'stable'],
        [2, 'candidate'],
      ]);
      expect(await store.transitions(ref)).toHaveLength(2);
    });

    it('numbers past a rejected candidate: a candidate derived from stable v2 after v3 was rejected becomes v4', async () => {
      const ref = { name: 'numbering', author: uniqueAuthor() };
      await store.publishVersion(newVersion(ref, 0));
      await store.publishVersion(newVersion(ref, 1));
      await store.publishVersion(newVersion(ref, 2, { state: 'candidate' }));
      await store.setVersionState(ref, 3, 'rejected', { decidedBy: 'skillopt', reason: 'failed more than v2' });

      const next = await store.publishVersion(newVersion(ref, 2, { state: 'candidate', body: 'derived from v2' }));
      expect(next.version).toMatchObject({ version: 4, state: 'candidate', body: 'derived from v2' });
      expect(await states(ref)).toEqual([
        [1, 'retired'],
        [2, 'stable'],
        [3, 'rejected'],
        [4, 'candidate'],
      ]);
      // What the push conflict rule compares against stays the highest number.
      expect((await store.latestVersion(ref))?.version).toBe(4);
    });

    it('still refuses a base that a live or retired version came after, and a base that does not exist', async () => {
      const ref = { name: 'conflicts', author: uniqueAuthor() };
      await store.publishVersion(newVersion(ref, 0));
      await store.publishVersion(newVersion(ref, 1));
      await store.publishVersion(newVersion(ref, 2, { state: 'candidate' }));

      // v2 (stable) came after v1; v3 (a candidate on trial) came after v2.
      expect((await expectOneLineRejection(store.publishVersion(newVersion(ref, 1)), VersionConflictError)).version).toBe(2);
      expect((await expectOneLineRejection(store.publishVersion(newVersion(ref, 2)), VersionConflictError)).version).toBe(3);
      expect((await expectOneLineRejection(store.publishVersion(newVersion(ref, 9)), VersionConflictError)).version).toBe(10);
      expect(await store.history(ref)).toHaveLength(3);

      // A push over the candidate (its base is the highest version, as team/push-to-store.ts does) is stable at once.
      const pushed = await store.publishVersion(newVersion(ref, 3, { createdBy: 'carol' }));
      expect(pushed.version).toMatchObject({ version: 4, state: 'stable' });
      expect(await states(ref)).toEqual([
        [1, 'retired'],
        [2, 'retired'],
        [3, 'candidate'],
        [4, 'stable'],
      ]);
      // The candidate now predates the stable version: promoting it would undo carol's v4.
      const err = await expectOneLineRejection(store.setVersionState(ref, 3, 'stable', { decidedBy: 'skillopt', reason: 'canary passed' }), StoreValidationError);
      expect(err.message).toBe(`${label(ref)} v3 is older than the stable v4; promoting it would undo v4`);
      await store.setVersionState(ref, 3, 'rejected', { decidedBy: 'skillopt', reason: 'stable moved on' });
      expect((await store.stableVersion(ref))?.version).toBe(4);
    });

    it('starts a new skill as a candidate when asked, and numbers its first stable version after the rejected one', async () => {
      const ref = { name: 'fresh', author: uniqueAuthor() };
      const first = await store.publishVersion(newVersion(ref, 0, { state: 'candidate' }));
      expect(first.version).toMatchObject({ version: 1, state: 'candidate' });
      expect(await store.stableVersion(ref)).toBeUndefined();
      await store.setVersionState(ref, 1, 'rejected', { decidedBy: 'alice', reason: 'not ready' });

      const stable = await store.publishVersion(newVersion(ref, 0));
      expect(stable.version).toMatchObject({ version: 2, state: 'stable' });
      expect(await moves(ref)).toEqual([
        [1, null, 'candidate', ref.author, 'published'],
        [1, 'candidate', 'rejected', 'alice', 'not ready'],
        [2, null, 'stable', ref.author, 'published'],
      ]);
    });

    it('refuses a state other than stable, candidate or (decided by someone) rejected, and an empty reason, writing nothing', async () => {
      const ref = { name: 'bad-publish', author: uniqueAuthor() };
      for (const state of ['retired', 'Stable', '']) {
        const err = await expectOneLineRejection(store.publishVersion(newVersion(ref, 0, { state: state as never })), StoreValidationError);
        expect(err.message).toBe(`a version is published as "stable", "candidate" or "rejected", not ${JSON.stringify(state)}`);
      }
      const unsaid = await expectOneLineRejection(store.publishVersion(newVersion(ref, 0, { state: 'rejected' })), StoreValidationError);
      expect(unsaid.message).toBe('a version published as rejected names who rejected it (decidedBy)');
      await expectOneLineRejection(store.publishVersion(newVersion(ref, 0, { reason: '' })), StoreValidationError);
      expect(await store.history(ref)).toEqual([]);
      expect(await store.transitions(ref)).toEqual([]);
    });

    it('lets one of two concurrent candidate publishes win, and concurrent retries of one share its row', async () => {
      const other = await openStore(database.options);
      try {
        const ref = { name: 'candidate-race', author: uniqueAuthor() };
        await store.publishVersion(newVersion(ref, 0));
        const results = await Promise.allSettled([
          store.publishVersion(newVersion(ref, 1, { state: 'candidate', body: 'A', idempotencyKey: `${ref.author}-a` })),
          other.publishVersion(newVersion(ref, 1, { state: 'candidate', body: 'B', idempotencyKey: `${ref.author}-b` })),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const [lost] = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(lost?.reason instanceof VersionConflictError || lost?.reason instanceof StoreValidationError).toBe(true);
        expect(await states(ref)).toEqual([
          [1, 'stable'],
          [2, 'candidate'],
        ]);
        await store.setVersionState(ref, 2, 'rejected', { decidedBy: 'skillopt', reason: 'reverted' });

        const retried = newVersion(ref, 1, { state: 'candidate', idempotencyKey: `${ref.author}-retry` });
        const [a, b] = await Promise.all([store.publishVersion(retried), other.publishVersion(retried)]);
        expect(a.version).toEqual(b.version);
        expect(a.version).toMatchObject({ version: 3, state: 'candidate' });
        expect([a.created, b.created].sort()).toEqual([false, true]);
        expect((await store.transitions(ref)).filter((t) => t.version === 3)).toHaveLength(1);
      } finally {
        await other.close();
      }
    });
  });

  describe('setVersionState', () => {
    /** stable v1, candidate v2. */
    async function onTrial(name: string): Promise<SkillRef> {
      const ref = { name, author: uniqueAuthor() };
      await store.publishVersion(newVersion(ref, 0));
      await store.publishVersion(newVersion(ref, 1, { state: 'candidate', createdBy: 'skillopt' }));
      return ref;
    }

    it('promotes a candidate, retiring the stable version in the same change, with a transition row each', async () => {
      const ref = await onTrial('promote');
      const result = await store.setVersionState(ref, 2, 'stable', { decidedBy: 'skillopt', reason: 'canary: 0/12 failed vs 3/14', expectedFrom: 'candidate' });
      expect(result.changed).toBe(true);
      expect(result.version).toMatchObject({ version: 2, state: 'stable' });
      expect(await states(ref)).toEqual([
        [1, 'retired'],
        [2, 'stable'],
      ]);
      expect(await store.candidateVersion(ref)).toBeUndefined();
      expect(await store.stableVersion(ref)).toEqual(result.version);
      const transitions = await store.transitions(ref);
      expect(transitions.slice(2).map((t) => [t.version, t.from, t.to, t.decidedBy, t.reason])).toEqual([
        [2, 'candidate', 'stable', 'skillopt', 'canary: 0/12 failed vs 3/14'],
        [1, 'stable', 'retired', 'skillopt', 'replaced by v2'],
      ]);
      expect(transitions[2]?.at).toBe(transitions[3]?.at);
      expect(new Date(transitions[2]!.at).toISOString()).toBe(transitions[2]?.at);
    });

    it('rejects a candidate, and retires a stable version, leaving the others alone', async () => {
      const ref = await onTrial('reject');
      expect((await store.setVersionState(ref, 2, 'rejected', { decidedBy: 'bob', reason: 'wrong tone' })).version.state).toBe('rejected');
      expect(await states(ref)).toEqual([
        [1, 'stable'],
        [2, 'rejected'],
      ]);
      expect((await store.setVersionState(ref, 1, 'retired', { decidedBy: 'alice', reason: 'skill withdrawn' })).version.state).toBe('retired');
      expect(await store.stableVersion(ref)).toBeUndefined();
      expect((await moves(ref)).slice(2)).toEqual([
        [2, 'candidate', 'rejected', 'bob', 'wrong tone'],
        [1, 'stable', 'retired', 'alice', 'skill withdrawn'],
      ]);
    });

    it('refuses every other change, an unknown version and an unexpected state with one clear line, writing nothing', async () => {
      const ref = await onTrial('refusals');
      await store.setVersionState(ref, 2, 'rejected', { decidedBy: 'skillopt', reason: 'reverted' });
      await store.publishVersion(newVersion(ref, 1, { state: 'candidate' })); // v3
      const l = label(ref);
      const cases: [number, VersionState, VersionState | undefined, string][] = [
        [2, 'stable', undefined, `${l} v2 is rejected, not a candidate`],
        [1, 'rejected', undefined, `${l} v1 is stable, not a candidate`],
        [3, 'retired', undefined, `${l} v3 is a candidate, not stable`],
        [2, 'retired', undefined, `${l} v2 is rejected, not stable`],
        [1, 'candidate', undefined, `${l} v1 is stable; a version becomes a candidate only by being published`],
        [2, 'candidate', undefined, `${l} v2 is rejected; a version becomes a candidate only by being published`],
        [7, 'stable', undefined, `${l} has no v7`],
        [3, 'stable', 'stable', `${l} v3 is a candidate, not stable`],
        [1, 'retired', 'candidate', `${l} v1 is stable, not a candidate`],
      ];
      const before = await store.transitions(ref);
      for (const [version, to, expectedFrom, message] of cases) {
        const err = await expectOneLineRejection(
          store.setVersionState(ref, version, to, { decidedBy: 'alice', reason: 'trying', ...(expectedFrom ? { expectedFrom } : {}) }),
          StoreValidationError,
        );
        expect(err.message).toBe(message);
      }
      for (const bad of [
        () => store.setVersionState(ref, 3, 'approved' as never, { decidedBy: 'alice', reason: 'x' }),
        () => store.setVersionState(ref, 0, 'stable', { decidedBy: 'alice', reason: 'x' }),
        () => store.setVersionState(ref, 3, 'stable', { decidedBy: '', reason: 'x' }),
        () => store.setVersionState(ref, 3, 'stable', { decidedBy: 'alice', reason: '' }),
        () => store.setVersionState(ref, 3, 'stable', { decidedBy: 'alice', reason: 'x', expectedFrom: 'gone' as never }),
        () => store.setVersionState({ name: 'Not Valid', author: ref.author }, 3, 'stable', { decidedBy: 'alice', reason: 'x' }),
      ]) {
        await expectOneLineRejection(bad(), StoreValidationError);
      }
      expect(await states(ref)).toEqual([
        [1, 'stable'],
        [2, 'rejected'],
        [3, 'candidate'],
      ]);
      expect(await store.transitions(ref)).toEqual(before);
    });

    it('is idempotent for the same decider (a retried activity), and refuses a decision someone else already made', async () => {
      const ref = await onTrial('idempotent');
      const decision = { decidedBy: 'skillopt', reason: 'canary passed', expectedFrom: 'candidate' as const };
      const first = await store.setVersionState(ref, 2, 'stable', decision);
      const count = (await store.transitions(ref)).length;

      // The retry finds v2 stable (so no longer a candidate) by its own decision: the same answer, nothing written.
      const retry = await store.setVersionState(ref, 2, 'stable', decision);
      expect(retry).toEqual({ version: first.version, changed: false });
      expect(await store.transitions(ref)).toHaveLength(count);

      const err = await expectOneLineRejection(store.setVersionState(ref, 2, 'stable', { decidedBy: 'alice', reason: 'approve' }), StoreValidationError);
      expect(err.message).toBe(`${label(ref)} v2 is already stable (decided by skillopt)`);

      // Concurrent deciders of one change: exactly one writes it.
      const other = await onTrial('idempotent-race');
      const both = await Promise.all([
        store.setVersionState(other, 2, 'rejected', { decidedBy: 'skillopt', reason: 'reverted' }),
        store.setVersionState(other, 2, 'rejected', { decidedBy: 'skillopt', reason: 'reverted' }),
      ]);
      expect(both.map((r) => r.changed).sort()).toEqual([false, true]);
      expect((await store.transitions(other)).filter((t) => t.to === 'rejected')).toHaveLength(1);
    });

    it('keeps one stable version when a promotion and a stable publish race', async () => {
      const other = await openStore(database.options);
      try {
        for (let round = 0; round < 3; round++) {
          const ref = await onTrial(`promote-race-${round}`);
          const results = await Promise.allSettled([
            store.setVersionState(ref, 2, 'stable', { decidedBy: 'skillopt', reason: 'canary passed' }),
            other.publishVersion(newVersion(ref, 2, { createdBy: 'carol' })),
          ]);
          const history = await store.history(ref);
          expect(history.filter((v) => v.state === 'stable')).toHaveLength(1);
          expect(history.filter((v) => v.state === 'candidate').length).toBeLessThanOrEqual(1);
          const [promoted, published] = results;
          if (published?.status === 'fulfilled') {
            // Carol's v3 is stable: it replaced the promoted v2, or v2 could not be promoted over it.
            expect((await store.stableVersion(ref))?.version).toBe(3);
            if (promoted?.status === 'rejected') expect(promoted.reason).toBeInstanceOf(StoreValidationError);
          } else {
            // The promotion moved the stable version under the publish (Postgres): a conflict, as any concurrent writer is.
            expect(published?.reason).toBeInstanceOf(VersionConflictError);
            expect(promoted?.status).toBe('fulfilled');
            expect((await store.stableVersion(ref))?.version).toBe(2);
          }
          // Every state change left its row: the states replay from the transitions.
          const replayed = new Map<number, string>();
          for (const t of await store.transitions(ref)) replayed.set(t.version, t.to);
          expect(history.map((v) => [v.version, v.state])).toEqual(history.map((v) => [v.version, replayed.get(v.version)]));
        }
      } finally {
        await other.close();
      }
    });
  });

  describe('listCurrent', () => {
    it('lists every skill with its stable and candidate versions, by name then author, bytewise', async () => {
      const author = uniqueAuthor();
      const plain = { name: 'zz-current-plain', author };
      const trial = { name: 'zz-current-trial', author };
      const none = { name: 'zz-current-none', author };
      const upper = { name: 'zz-current-plain', author: `B-${author}` };
      await store.publishVersion(newVersion(plain, 0));
      await store.publishVersion(newVersion(plain, 1));
      await store.publishVersion(newVersion(trial, 0));
      await store.publishVersion(newVersion(trial, 1, { state: 'candidate' }));
      await store.publishVersion(newVersion(none, 0, { state: 'candidate' }));
      await store.setVersionState(none, 1, 'rejected', { decidedBy: 'skillopt', reason: 'reverted' });
      await store.publishVersion(newVersion(upper, 0));

      const mine = (await store.listCurrent()).filter((s) => s.author.endsWith(author));
      expect(mine.map((s) => [s.name, s.author, s.stable?.version ?? null, s.candidate?.version ?? null, s.latestVersion])).toEqual([
        ['zz-current-none', author, null, null, 1],
        ['zz-current-plain', `B-${author}`, 1, null, 1],
        ['zz-current-plain', author, 2, null, 2],
        ['zz-current-trial', author, 1, 2, 2],
      ]);
      const withTrial = mine.find((s) => s.name === 'zz-current-trial');
      expect(withTrial?.stable).toEqual(await store.stableVersion(trial));
      expect(withTrial?.candidate).toEqual(await store.candidateVersion(trial));
      // listLatest keeps its meaning: the highest version, whatever its state.
      expect((await store.listLatest()).filter((v) => v.author === author).map((v) => [v.name, v.version, v.state])).toEqual([
        ['zz-current-none', 1, 'rejected'],
        ['zz-current-plain', 2, 'stable'],
        ['zz-current-trial', 2, 'candidate'],
      ]);
    });
  });

  describe('rollout settings', () => {
    it('stores a policy and canary overrides per skill, changing only the fields given', async () => {
      const ref = { name: 'settings', author: uniqueAuthor() };
      await store.publishVersion(newVersion(ref, 0));
      expect(await store.rolloutSettings(ref)).toBeUndefined();

      const set = await store.setRolloutSettings(ref, { policy: 'approval', updatedBy: 'alice' });
      expect(set).toMatchObject({ ...ref, policy: 'approval', canary: null, updatedBy: 'alice' });
      expect(new Date(set.updatedAt).toISOString()).toBe(set.updatedAt);
      expect(await store.rolloutSettings(ref)).toEqual(set);

      // Canary overrides replace the previous ones as a whole; the policy is kept.
      await store.setRolloutSettings(ref, { canary: { percent: 25, maxHours: 1.5 }, updatedBy: 'bob' });
      expect(await store.rolloutSettings(ref)).toMatchObject({ policy: 'approval', canary: { percent: 25, maxHours: 1.5 }, updatedBy: 'bob' });
      await store.setRolloutSettings(ref, { canary: { minJudged: 8 }, updatedBy: 'bob' });
      expect(await store.rolloutSettings(ref)).toMatchObject({ policy: 'approval', canary: { minJudged: 8 } });

      // null resets to the team default; an empty object is no overrides.
      await store.setRolloutSettings(ref, { policy: null, updatedBy: 'carol' });
      expect(await store.rolloutSettings(ref)).toMatchObject({ policy: null, canary: { minJudged: 8 }, updatedBy: 'carol' });
      await store.setRolloutSettings(ref, { canary: {}, policy: 'canary+approval', updatedBy: 'carol' });
      expect(await store.rolloutSettings(ref)).toMatchObject({ policy: 'canary+approval', canary: null });
      await store.setRolloutSettings(ref, { canary: { percent: 100, minJudged: 1, maxHours: 48 }, updatedBy: 'carol' });
      await store.setRolloutSettings(ref, { canary: null, updatedBy: 'carol' });
      expect(await store.rolloutSettings(ref)).toMatchObject({ policy: 'canary+approval', canary: null });

      // Another skill of the same author has its own row.
      expect(await store.rolloutSettings({ name: 'settings-other', author: ref.author })).toBeUndefined();
    });

    it('refuses unknown policies and settings, out-of-range values and a skill not in the store, writing nothing', async () => {
      const ref = { name: 'settings-bad', author: uniqueAuthor() };
      await store.publishVersion(newVersion(ref, 0));
      await store.setRolloutSettings(ref, { policy: 'direct', canary: { percent: 10 }, updatedBy: 'alice' });
      const stored = await store.rolloutSettings(ref);

      const bad: [Parameters<Store['setRolloutSettings']>[1], RegExp][] = [
        [{ policy: 'yolo' as never, updatedBy: 'alice' }, /^policy must be one of canary, approval, canary\+approval, direct/],
        [{ canary: { percent: 0 }, updatedBy: 'alice' }, /^canary\.percent must be an integer >= 1/],
        [{ canary: { percent: 101 }, updatedBy: 'alice' }, /^canary\.percent must be an integer from 1 to 100, got 101$/],
        [{ canary: { percent: 12.5 }, updatedBy: 'alice' }, /^canary\.percent must be an integer/],
        [{ canary: { minJudged: 0 }, updatedBy: 'alice' }, /^canary\.minJudged must be an integer >= 1/],
        [{ canary: { maxHours: 0 }, updatedBy: 'alice' }, /^canary\.maxHours must be a number of hours above 0/],
        [{ canary: { maxHours: Number.NaN }, updatedBy: 'alice' }, /^canary\.maxHours/],
        [{ canary: { pct: 5 } as never, updatedBy: 'alice' }, /^canary has no setting "pct"; its settings are percent, minJudged and maxHours$/],
        [{ canary: [] as never, updatedBy: 'alice' }, /^canary must be an object/],
        [{ policy: 'canary', updatedBy: '' }, /^updatedBy is empty$/],
      ];
      for (const [change, message] of bad) {
        const err = await expectOneLineRejection(store.setRolloutSettings(ref, change), StoreValidationError);
        expect(err.message).toMatch(message);
      }
      expect(await store.rolloutSettings(ref)).toEqual(stored);

      const missing = { name: 'never-published', author: ref.author };
      const err = await expectOneLineRejection(store.setRolloutSettings(missing, { policy: 'direct', updatedBy: 'alice' }), StoreValidationError);
      expect(err.message).toBe(`no skill ${label(missing)} in the store`);
      expect(await store.rolloutSettings(missing)).toBeUndefined();
    });
  });

  describe('canaryEvidence', () => {
    const T0 = '2025-03-01T12:00:00.000Z';
    const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000).toISOString();

    /** Candidate v3 and stable v2, with verdicts worked out below. */
    async function judged(): Promise<SkillRef> {
      const ref = { name: 'evidence', author: uniqueAuthor() };
      let n = 0;
      const record = (skillVersion: number, sessionId: string, toolUseId: string | null, outcome: 'passed' | 'failed' | 'not-judged', minutes: number) =>
        store.recordVerdict(verdict(ref, `${ref.author}-${n++}`, { skillVersion, sessionId, toolUseId, outcome, createdAt: at(minutes) }));

      // Candidate v3, from T0: 4 passed, 1 failed.
      await record(3, 's1', 't1', 'passed', 60);
      await record(3, 's1', 't1', 'failed', 120); // one invocation: a failure wins
      await record(3, 's2', 't2', 'passed', 60);
      await record(3, 's2', 't2', 'passed', 180); // one invocation: one pass
      await record(3, 's3', 't3', 'not-judged', 60); // never counts
      await record(3, 's4', 't4', 'not-judged', 30);
      await record(3, 's4', 't4', 'passed', 90); // judged once: a pass
      await record(3, 's5', null, 'passed', 60); // no tool use id: each verdict its own invocation
      await record(3, 's5', null, 'passed', 120);
      await record(3, 's0', 't0', 'failed', -60); // before since

      // Stable v2: two invocations in the period, four before it.
      await record(2, 's6', 't6', 'passed', 60);
      await record(2, 's7', 't7', 'failed', 120);
      await record(2, 's12', 't12', 'passed', -10); // its time is its first judged verdict: before since
      await record(2, 's12', 't12', 'failed', 10);
      await record(2, 's8', 't8', 'passed', -60);
      await record(2, 's9', 't9', 'failed', -120);
      await record(2, 's10', 't10', 'passed', -180);
      await record(2, 's11', 't11', 'not-judged', -30);

      // Neither another version nor another skill counts.
      await record(1, 's13', 't13', 'failed', 60);
      await store.recordVerdict(verdict({ name: 'evidence-other', author: ref.author }, `${ref.author}-other`, { skillVersion: 3, createdAt: at(60) }));
      return ref;
    }

    it('counts judged invocations of the candidate and of stable over the same period', async () => {
      const ref = await judged();
      expect(await store.canaryEvidence(ref, { candidate: 3, stable: 2, since: T0, minStable: 2 })).toEqual({
        candidate: { version: 3, passed: 4, failed: 1 },
        stable: { version: 2, passed: 1, failed: 1, since: T0 },
      });
      expect(await store.canaryEvidence(ref, { candidate: 3, stable: 2, since: T0, minStable: 0 })).toEqual({
        candidate: { version: 3, passed: 4, failed: 1 },
        stable: { version: 2, passed: 1, failed: 1, since: T0 },
      });
      // A later start leaves out what came before it, on both sides: an invocation is as old as its first judged verdict.
      expect(await store.canaryEvidence(ref, { candidate: 3, stable: 2, since: at(100), minStable: 0 })).toEqual({
        candidate: { version: 3, passed: 1, failed: 0 },
        stable: { version: 2, passed: 0, failed: 1, since: at(100) },
      });
    });

    it('tops stable up with its most recent invocations before since, and reports where its evidence starts', async () => {
      const ref = await judged();
      // Two in the period; two more wanted: s12 (failed, at -10 min) and s8 (passed, at -60 min), so stable's evidence starts at -60 min.
      expect(await store.canaryEvidence(ref, { candidate: 3, stable: 2, since: T0, minStable: 4 })).toEqual({
        candidate: { version: 3, passed: 4, failed: 1 },
        stable: { version: 2, passed: 2, failed: 2, since: at(-60) },
      });
      expect((await store.canaryEvidence(ref, { candidate: 3, stable: 2, since: T0, minStable: 5 })).stable).toEqual({ version: 2, passed: 2, failed: 3, since: at(-120) });
      // Asked for more than there is: everything stable has, from its oldest invocation.
      expect((await store.canaryEvidence(ref, { candidate: 3, stable: 2, since: T0, minStable: 50 })).stable).toEqual({ version: 2, passed: 3, failed: 3, since: at(-180) });
      // The since given is normalized to ISO-8601 UTC.
      expect((await store.canaryEvidence(ref, { candidate: 3, stable: 2, since: '2025-03-01T13:00:00+01:00', minStable: 0 })).stable.since).toBe(T0);
    });

    it('versionUsage counts the same invocations per version as canaryEvidence, from since', async () => {
      const ref = await judged();
      expect(await store.versionUsage(ref, T0)).toEqual([
        { version: 1, passed: 0, failed: 1, sessions: 0, users: 1 },
        { version: 2, passed: 1, failed: 1, sessions: 0, users: 1 },
        { version: 3, passed: 4, failed: 1, sessions: 0, users: 1 },
      ]);
      expect(await store.versionUsage(ref, at(100))).toEqual([
        { version: 2, passed: 0, failed: 1, sessions: 0, users: 1 },
        { version: 3, passed: 1, failed: 0, sessions: 0, users: 1 },
      ]);
    });

    it('versionUsage counts distinct sessions with the version in context and distinct users of sessions and verdicts', async () => {
      const ref = { name: 'usage', author: uniqueAuthor() };
      const attribute = (sessionId: string, user: string, minutes: number, skills: { name: string; author: string; version: number }[]) =>
        store.recordAttribution({ sessionId: `${ref.author}-${sessionId}`, user, cwd: '/work', agent: 'claude-code', abBucket: 7, skills, createdAt: at(minutes) });
      await attribute('a', 'alice', 10, [{ ...ref, version: 1 }, { name: 'other', author: ref.author, version: 5 }]);
      await attribute('a', 'alice', 20, [{ ...ref, version: 1 }]); // the same session again (a resume): once
      await attribute('b', 'bob', 30, [{ ...ref, version: 2 }]);
      await attribute('d', 'dave', -60, [{ ...ref, version: 1 }]); // before since
      await attribute('e', 'erin', 50, [{ name: ref.name, author: `${ref.author}x`, version: 1 }]); // same name, another author
      await attribute('f', 'frank', 50, [{ name: `${ref.name}-x`, author: ref.author, version: 1 }]);
      await attribute('g', 'gus', 50, []);
      let n = 0;
      const record = (skillVersion: number, sessionId: string, user: string, outcome: 'passed' | 'failed' | 'not-judged') =>
        store.recordVerdict(verdict(ref, `${ref.author}-${n++}`, { skillVersion, sessionId, toolUseId: `t-${sessionId}`, outcome, user, createdAt: at(60) }));
      await record(1, 'a', 'alice', 'passed');
      await record(2, 'c', 'carol', 'passed'); // carol's session had no attribution row: still a user of v2
      await record(3, 'h', 'hana', 'not-judged'); // no use of v3 that counts

      expect(await store.versionUsage(ref, T0)).toEqual([
        { version: 1, passed: 1, failed: 0, sessions: 1, users: 1 },
        { version: 2, passed: 1, failed: 0, sessions: 1, users: 2 },
      ]);
      expect(await store.versionUsage(ref, at(-120))).toEqual([
        { version: 1, passed: 1, failed: 0, sessions: 2, users: 2 },
        { version: 2, passed: 1, failed: 0, sessions: 1, users: 2 },
      ]);
      expect(await store.versionUsage({ name: 'never-used', author: ref.author }, T0)).toEqual([]);
      await expectOneLineRejection(store.versionUsage(ref, 'last tuesday'), StoreValidationError);
      await expectOneLineRejection(store.versionUsage({ name: 'Not Valid', author: ref.author }, T0), StoreValidationError);
    });

    it('reports zero evidence for versions nobody judged, and refuses malformed queries', async () => {
      const ref = { name: 'no-evidence', author: uniqueAuthor() };
      expect(await store.canaryEvidence(ref, { candidate: 2, stable: 1, since: T0, minStable: 10 })).toEqual({
        candidate: { version: 2, passed: 0, failed: 0 },
        stable: { version: 1, passed: 0, failed: 0, since: T0 },
      });
      for (const query of [
        { candidate: 2, stable: 2, since: T0, minStable: 1 },
        { candidate: 0, stable: 1, since: T0, minStable: 1 },
        { candidate: 2, stable: 1, since: 'last tuesday', minStable: 1 },
        { candidate: 2, stable: 1, since: undefined as never, minStable: 1 },
        { candidate: 2, stable: 1, since: T0, minStable: -1 },
      ]) {
        await expectOneLineRejection(store.canaryEvidence(ref, query), StoreValidationError);
      }
    });
  });

  it('upgrades a database migrated to 0002: each skill\'s latest version stable, older ones retired, the history as transitions', async () => {
    const old = await engine.createDatabase();
    try {
      const author = uniqueAuthor();
      const deploy = { name: 'deploy', author };
      const lint = { name: 'lint', author };
      const raw = await openMigratedOnly(old.options, ['0001_initial', '0002_verdict_outcome']);
      try {
        const rows: [SkillRef, number, string][] = [
          [deploy, 1, 'alice'],
          [deploy, 2, 'skillopt'],
          [deploy, 3, 'bob'],
          [lint, 1, 'alice'],
        ];
        for (const [ref, version, by] of rows) {
          await sql`insert into skill_versions (name, author, version, body, description, scope, contributors, created_at, created_by, idempotency_key)
                    values (${ref.name}, ${ref.author}, ${version}, ${`v${version}`}, 'old', 'org', '[]', ${`2025-01-0${version}T00:00:00.000Z`}, ${by}, null)`.execute(raw);
        }
      } finally {
        await raw.destroy();
      }

      const upgraded = await openStore(old.options);
      try {
        expect((await upgraded.history(deploy)).map((v) => [v.version, v.state])).toEqual([
          [1, 'retired'],
          [2, 'retired'],
          [3, 'stable'],
        ]);
        expect((await upgraded.history(lint)).map((v) => [v.version, v.state])).toEqual([[1, 'stable']]);
        expect((await upgraded.transitions(deploy)).map((t) => [t.version, t.from, t.to, t.decidedBy, t.reason, t.at])).toEqual([
          [1, null, 'stable', 'alice', 'published', '2025-01-01T00:00:00.000Z'],
          [2, null, 'stable', 'skillopt', 'published', '2025-01-02T00:00:00.000Z'],
          [1, 'stable', 'retired', 'skillopt', 'replaced by v2', '2025-01-02T00:00:00.000Z'],
          [3, null, 'stable', 'bob', 'published', '2025-01-03T00:00:00.000Z'],
          [2, 'stable', 'retired', 'bob', 'replaced by v3', '2025-01-03T00:00:00.000Z'],
        ]);
        expect((await upgraded.transitions(lint)).map((t) => [t.version, t.from, t.to])).toEqual([[1, null, 'stable']]);
        expect(await upgraded.rolloutSettings(deploy)).toBeUndefined();

        // The upgraded store works as a new one.
        await upgraded.publishVersion(newVersion(deploy, 3, { state: 'candidate' }));
        await upgraded.setVersionState(deploy, 4, 'stable', { decidedBy: 'skillopt', reason: 'canary passed' });
        expect((await upgraded.listCurrent()).filter((s) => s.author === author).map((s) => [s.name, s.stable?.version, s.candidate])).toEqual([
          ['deploy', 4, null],
          ['lint', 1, null],
        ]);
      } finally {
        await upgraded.close();
      }

      // The database itself holds at most one stable and one candidate per skill, and only known states.
      const { db: after } = await openRawDatabase(old.options);
      try {
        await expect(sql`update skill_versions set state = 'stable' where name = 'deploy' and author = ${author} and version = 3`.execute(after)).rejects.toThrow();
        await expect(sql`update skill_versions set state = 'approved' where name = 'lint' and author = ${author}`.execute(after)).rejects.toThrow();
        await sql`update skill_versions set state = 'candidate' where name = 'deploy' and author = ${author} and version = 2`.execute(after);
        await expect(sql`update skill_versions set state = 'candidate' where name = 'deploy' and author = ${author} and version = 1`.execute(after)).rejects.toThrow();
        await expect(
          sql`insert into skill_rollout_settings (name, author, policy, canary, updated_by, updated_at) values ('lint', ${author}, 'sometimes', null, 'x', 'y')`.execute(after),
        ).rejects.toThrow();
      } finally {
        await after.destroy();
      }
    } finally {
      await old.drop();
    }
  });
});

describe('a SkillRecord on the wire', () => {
  it('reads a record without a state (a central worker from before the rollout) as stable, and keeps a given one', () => {
    const old: ReceivedSkillRecord = {
      name: 'deploy',
      author: 'alice',
      version: 3,
      body: '# Deploy\n',
      description: 'deploys',
      scope: 'org',
      contributors: ['alice'],
      createdAt: '2025-01-01T00:00:00.000Z',
      createdBy: 'alice',
      idempotencyKey: null,
    };
    expect(receivedSkillRecord(old, legacyFrontmatter)).toEqual({ ...old, state: 'stable', frontmatter: legacyFrontmatter(old.name, old.description), files: [] });
    expect(receivedSkillRecord({ ...old, state: 'candidate' }, legacyFrontmatter).state).toBe('candidate');
  });
});
