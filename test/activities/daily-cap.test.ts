// The daily cap's counter on disk (local/model-calls.ts): per UTC day, and
// shared by every worker process on the machine without over-spending or
// losing a count. Real files, real processes.
import { execa } from 'execa';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_MODEL_CALLS_PER_DAY } from '../../core/model-calls';
import { ModelCallsConfigError, dailyModelCalls, maxModelCallsPerDay, modelCallsToday } from '../../local/model-calls';

const ROOT = join(import.meta.dirname, '..', '..');
const CHILD = join(import.meta.dirname, 'take-model-calls.ts');

let home: string;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'skillopt-cap-'));
});

describe('SKILLOPT_MAX_MODEL_CALLS_PER_DAY', () => {
  it('defaults to 100; a whole number is the cap, 0 included', () => {
    expect(maxModelCallsPerDay({})).toBe(DEFAULT_MAX_MODEL_CALLS_PER_DAY);
    expect(DEFAULT_MAX_MODEL_CALLS_PER_DAY).toBe(100);
    expect(maxModelCallsPerDay({ SKILLOPT_MAX_MODEL_CALLS_PER_DAY: ' ' })).toBe(100);
    expect(maxModelCallsPerDay({ SKILLOPT_MAX_MODEL_CALLS_PER_DAY: '250' })).toBe(250);
    expect(maxModelCallsPerDay({ SKILLOPT_MAX_MODEL_CALLS_PER_DAY: '0' })).toBe(0);
  });

  it.each(['-1', '1.5', 'ten', '1e3', 'Infinity'])('%s is a one-line error saying what to set', (value) => {
    const read = () => maxModelCallsPerDay({ SKILLOPT_MAX_MODEL_CALLS_PER_DAY: value });
    expect(read).toThrow(ModelCallsConfigError);
    expect(read).toThrow(/^SKILLOPT_MAX_MODEL_CALLS_PER_DAY must be a whole number .*unset it for the default of 100$/);
    expect(() => read()).not.toThrow(/\n/);
  });
});

describe('the daily count', () => {
  it('grants N calls and refuses the next with the cap in its reason', async () => {
    const budget = dailyModelCalls({ home, cap: 3, now: () => new Date('2025-03-01T12:00:00Z') });
    const grants = [];
    for (let i = 0; i < 4; i++) grants.push(await budget.take());
    expect(grants.map((g) => g.ok)).toEqual([true, true, true, false]);
    expect(grants.map((g) => g.used)).toEqual([1, 2, 3, 3]);
    expect(grants[3]).toMatchObject({ ok: false, reason: expect.stringMatching(/^daily cap of 3 model calls reached on this machine \(UTC day 2025-03-01\)/) as unknown });
    expect(readFileSync(join(home, 'model-calls', '2025-03-01.count'), 'utf8')).toBe('3\n');
  });

  it('starts again at midnight UTC, whatever the local time zone', async () => {
    let now = new Date('2025-03-01T23:59:59.999Z');
    const budget = dailyModelCalls({ home, cap: 2, now: () => now });
    expect((await budget.take()).ok).toBe(true);
    expect((await budget.take()).ok).toBe(true);
    expect((await budget.take()).ok).toBe(false);
    now = new Date('2025-03-02T00:00:00.000Z');
    expect(await budget.take()).toEqual({ ok: true, used: 1, cap: 2 });
    const env = { SKILLOPT_HOME: home, SKILLOPT_MAX_MODEL_CALLS_PER_DAY: '2' };
    expect(await modelCallsToday(env, new Date('2025-03-01T18:00:00Z'))).toEqual({ day: '2025-03-01', used: 2, cap: 2 });
    expect(await modelCallsToday(env, now)).toEqual({ day: '2025-03-02', used: 1, cap: 2 });
    expect(await modelCallsToday(env, new Date('2025-03-03T00:00:00Z'))).toEqual({ day: '2025-03-03', used: 0, cap: 2 });
  });

  it('removes day files older than two weeks when a new day starts', async () => {
    mkdirSync(join(home, 'model-calls'));
    writeFileSync(join(home, 'model-calls', '2025-01-01.count'), '100\n');
    writeFileSync(join(home, 'model-calls', '2025-02-28.count'), '7\n');
    await dailyModelCalls({ home, cap: 5, now: () => new Date('2025-03-01T08:00:00Z') }).take();
    expect(readdirSync(join(home, 'model-calls')).sort()).toEqual(['2025-02-28.count', '2025-03-01.count']);
  });

  it('grants nothing more when the day file is not a count (fails closed, says which file)', async () => {
    const now = () => new Date('2025-03-01T08:00:00Z');
    mkdirSync(join(home, 'model-calls'));
    writeFileSync(join(home, 'model-calls', '2025-03-01.count'), 'garbage');
    const grant = await dailyModelCalls({ home, cap: 5, now }).take();
    expect(grant).toMatchObject({ ok: false, reason: expect.stringContaining(join(home, 'model-calls', '2025-03-01.count')) as unknown });
  });

  it('many concurrent callers in one process never exceed the cap nor lose a count', async () => {
    const budget = dailyModelCalls({ home, cap: 40 });
    const grants = await Promise.all(Array.from({ length: 60 }, () => budget.take()));
    expect(grants.filter((g) => g.ok)).toHaveLength(40);
    expect((await modelCallsToday({ SKILLOPT_HOME: home, SKILLOPT_MAX_MODEL_CALLS_PER_DAY: '40' })).used).toBe(40);
  });

  it('worker processes counting at once on one machine never exceed the cap in total, nor lose a count', async () => {
    const run = (cap: number, tries: number) =>
      Promise.all(
        Array.from({ length: 4 }, () =>
          execa(process.execPath, ['--import', 'tsx', CHILD, home, String(cap), String(tries)], { cwd: ROOT }).then(
            (r) => (JSON.parse(r.stdout) as { granted: number }).granted,
          ),
        ),
      );
    // 4 × 15 tries against a cap of 37: exactly 37 granted in all.
    const capped = await run(37, 15);
    expect(capped.reduce((a, b) => a + b, 0)).toBe(37);
    expect((await modelCallsToday({ SKILLOPT_HOME: home, SKILLOPT_MAX_MODEL_CALLS_PER_DAY: '37' })).used).toBe(37);
    // Under a high cap every call is counted: 37 + 4 × 15.
    const all = await run(1000, 15);
    expect(all).toEqual([15, 15, 15, 15]);
    expect((await modelCallsToday({ SKILLOPT_HOME: home, SKILLOPT_MAX_MODEL_CALLS_PER_DAY: '1000' })).used).toBe(97);
  }, 60_000);
});
