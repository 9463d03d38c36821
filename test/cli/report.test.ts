// `skillopt report` on a real SQLite store: versions in every state, with
// sessions, verdicts and edits behind them (report-seed.ts), the numbers
// printed and the JSON, --since, and the usage errors.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSince } from '../../cli/args';
import type { ReportJson } from '../../cli/report';
import { openStore } from '../../store/open-store';
import { expectOneLineError, makeSandbox, run, type Sandbox } from './helpers';
import { PROMOTE_REASON, REVERT_REASON, V4_CHECK, seedReportStore } from './report-seed';

let sb: Sandbox;
beforeEach(async () => {
  sb = await makeSandbox();
});
afterEach(async () => {
  await sb.cleanup();
});

async function seed(): Promise<void> {
  const store = await openStore({ url: `sqlite:${join(sb.skilloptHome, 'skillopt.db')}` });
  try {
    await seedReportStore(store, 'alice');
  } finally {
    await store.close();
  }
}

/** Timestamps made at run time (not --since's), as one placeholder. */
const TIME = /(?!2020-01-01T00:00:00\.000Z)\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g;

describe('skillopt report', () => {
  it('prints per version the sessions, judged invocations, rate with its 95% interval and users; the canary; the decisions and edits', async () => {
    await seed();
    const r = await run(sb, ['report', 'deploy--alice', '--since', '2020-01-01']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.replace(TIME, '<t>')).toBe(
      [
        'counts from 2020-01-01T00:00:00.000Z: sessions with the version in context at SessionStart, judged invocations (one per invocation, failed if any verdict failed; not-judged never counts)',
        '',
        'deploy--alice  stable v2  candidate v4  policy canary+approval  pre-publish check on',
        '  VERSION  STATE      SESSIONS  JUDGED  PASSED  RATE   95% CI  USERS  PUBLISHED                             PRE-PUBLISH CHECK',
        '  v4       candidate         2       2       2  100%  34–100%      1  <t> by skillopt  went on (addressed 1 of 1 failure, made worse 0 of 2 passes, unanswered 1)',
        '  v3       rejected          3       3       0    0%    0–56%      1  <t> by skillopt  -',
        '  v2       stable            5       3       2   67%   21–94%      5  <t> by skillopt  -',
        '  v1       retired           2       2       1   50%    9–91%      2  <t> by alice     -',
        '  canary now: candidate v4 2/2 passed vs stable v2 2/3 (stable\'s from <t>): P(candidate ≥ stable) = 0.71; decided at 5 judged invocations of each (or the period\'s end), P ≥ 0.8 promotes or reverts',
        '  decisions, newest first:',
        '    <t>  v4 published as candidate by skillopt: proposed from failure reports',
        `    <t>  v3 candidate → rejected by skillopt: ${REVERT_REASON}`,
        '    <t>  v3 published as candidate by skillopt: proposed from failure reports',
        '    <t>  v1 stable → retired by skillopt: replaced by v2',
        `    <t>  v2 candidate → stable by skillopt: ${PROMOTE_REASON}`,
        '    <t>  v2 published as candidate by skillopt: proposed from failure reports',
        '    <t>  v1 published as stable by alice: published',
        '  edits, newest first:',
        '    v4 from v2, proposed: add "2. Tag." after "1. Test."',
        '    v3 from v2, reverted (<t>): delete "1. Test."; replace "Ship" with "Ship first"',
        '    v2 from v1, applied (<t>): add "1. Test." before "Ship"',
        '',
      ].join('\n'),
    );
  });

  it('reports every skill by name then author, and the same data as JSON', async () => {
    await seed();
    const all = await run(sb, ['report', '--since', '2020-01-01']);
    expect(all.code).toBe(0);
    const blocks = all.stdout.trimEnd().split('\n\n');
    expect(blocks.map((b) => b.split('\n')[0])).toEqual([
      expect.stringMatching(/^counts from 2020-01-01T00:00:00\.000Z/),
      'deploy--alice  stable v2  candidate v4  policy canary+approval  pre-publish check on',
      'lint--alice  stable v1  policy canary (team default)  pre-publish check on (team default)',
    ]);
    expect(blocks[2]!.replace(TIME, '<t>').split('\n').slice(1)).toEqual([
      '  VERSION  STATE   SESSIONS  JUDGED  PASSED  RATE  95% CI  USERS  PUBLISHED                          PRE-PUBLISH CHECK',
      '  v1       stable         0       0       0     -       -      0  <t> by alice  -',
      '  decisions, newest first:',
      '    <t>  v1 published as stable by alice: published',
      '  edits: none',
    ]);

    const json = JSON.parse((await run(sb, ['report', '--since', '2020-01-01', '--json'])).stdout) as ReportJson;
    expect(json.since).toBe('2020-01-01T00:00:00.000Z');
    expect(json.skills.map((s) => s.ref)).toEqual(['deploy--alice', 'lint--alice']);
    const deploy = json.skills[0]!;
    expect(deploy).toMatchObject({ stable: 2, candidate: 4, policy: 'canary+approval', policySource: 'skill', versionsOmitted: 0, decisionsOmitted: 0, editsOmitted: 0 });
    expect(deploy.versions.map((v) => [v.version, v.state, v.sessions, v.judged, v.passed, v.failed, v.users])).toEqual([
      [4, 'candidate', 2, 2, 2, 0, 1],
      [3, 'rejected', 3, 3, 0, 3, 1],
      [2, 'stable', 5, 3, 2, 1, 5],
      [1, 'retired', 2, 2, 1, 1, 2],
    ]);
    expect(deploy.versions.map((v) => v.precheck)).toEqual([V4_CHECK, null, null, null]);
    expect(deploy.precheck).toEqual({ on: true, source: 'skill' });
    expect(json.skills[1]!.precheck).toEqual({ on: true, source: 'team default' });
    expect(deploy.versions[2]!.successRate).toBeCloseTo(2 / 3, 12);
    expect(deploy.versions[2]!.interval).toEqual({ low: expect.closeTo(0.207655, 5), high: expect.closeTo(0.938509, 5) });
    expect(deploy.canary).toMatchObject({ candidate: { version: 4, passed: 2, failed: 0 }, stable: { version: 2, passed: 2, failed: 1 }, minJudged: 5, threshold: 0.8 });
    // P(Beta(3,1) ≥ Beta(3,2)) = 1 − E[Y³] for Y ~ Beta(3,2) = 1 − 2/7.
    expect(deploy.canary!.probability).toBeCloseTo(5 / 7, 9);
    expect(deploy.decisions[1]).toMatchObject({ version: 3, from: 'candidate', to: 'rejected', decidedBy: 'skillopt', reason: REVERT_REASON });
    expect(deploy.edits.map((e) => [e.version, e.baseVersion, e.status])).toEqual([
      [4, 2, 'proposed'],
      [3, 2, 'reverted'],
      [2, 1, 'applied'],
    ]);
  });

  it('counts only what falls after --since, and defaults to the last 30 days', async () => {
    await seed();
    const later = new Date(Date.now() + 60_000).toISOString();
    // A minute from now is the future: refused. Everything was recorded just now, so the last hour has it all.
    expectOneLineError(await run(sb, ['report', '--since', later]), /--since takes an age like 30d, 12h or 2w, or a past ISO date/);
    const hour = JSON.parse((await run(sb, ['report', 'deploy--alice', '--since', '1h', '--json'])).stdout) as ReportJson;
    expect(hour.skills[0]!.versions.map((v) => v.judged)).toEqual([2, 3, 3, 2]);
    const dflt = JSON.parse((await run(sb, ['report', 'deploy--alice', '--json'])).stdout) as ReportJson;
    expect(Date.now() - Date.parse(dflt.since)).toBeGreaterThan(30 * 24 * 3600_000 - 60_000);
    expect(Date.now() - Date.parse(dflt.since)).toBeLessThan(30 * 24 * 3600_000 + 60_000);
  });

  it('says when there is nothing to report, and refuses an unknown skill or a bad --since in one line', async () => {
    expect((await run(sb, ['report'])).stdout).toMatch(/^no skills in the store yet/);
    expect(JSON.parse((await run(sb, ['report', '--json'])).stdout)).toMatchObject({ skills: [] });
    expectOneLineError(await run(sb, ['report', 'nope--alice']), /^skillopt: no skill nope--alice in the store; see `skillopt skills list`$/);
    for (const bad of ['30', '0d', '3y', 'yesterday', '2025-02-30', '2025-13-01']) {
      const r = await run(sb, ['report', '--since', bad]);
      expect(r.code, bad).toBe(2);
      expectOneLineError(r, /'--since <when>' argument .* is invalid.*see `skillopt report --help`/);
    }
  });
});

describe('parseSince', () => {
  const now = Date.parse('2025-03-31T12:00:00.000Z');
  it.each([
    ['30d', '2025-03-01T12:00:00.000Z'],
    ['12h', '2025-03-31T00:00:00.000Z'],
    ['2w', '2025-03-17T12:00:00.000Z'],
    ['2025-03-01', '2025-03-01T00:00:00.000Z'],
    ['2025-03-01T09:30:00Z', '2025-03-01T09:30:00.000Z'],
    ['2025-03-01T09:30:00+02:00', '2025-03-01T07:30:00.000Z'],
  ])('%s → %s', (text, iso) => {
    expect(parseSince(text, now)).toBe(iso);
  });
  it.each(['', '0h', '-1d', '1.5d', '1m', '2025-04-01', '2025-02-29', 'March 1'])('refuses %j', (text) => {
    expect(() => parseSince(text, now)).toThrow(/--since takes/);
  });
});
