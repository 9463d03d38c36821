// The dashboard's guards without a browser: Host, Origin, JSON, the token off
// loopback, and the page's security headers. And the numbers it charts.
import { request } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dailyRates, judgedInvocations, versionChart, wilsonInterval, DAY_MS } from '../../dashboard/stats';
import { startDashboard, type RunningDashboard } from '../../dashboard/server';
import { openStore, type Store } from '../../store';
import type { TeamConnection } from '../../sync/remote';
import type { VerdictRecord } from '../../store/types';

function call(port: number, path: string, method: string, headers: Record<string, string>, body = ''): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Never reached: every request here is refused before the lane is asked. */
const team = { client: {}, address: 'nowhere', namespace: 'default', taskQueue: 'q', close: async () => undefined } as unknown as TeamConnection;
const assets = { js: '/* page */', css: '/* css */' };
let store: Store;
let local: RunningDashboard;
let exposed: RunningDashboard;

beforeAll(async () => {
  store = await openStore({ home: mkdtempSync(join(tmpdir(), 'skillopt-dash-')) });
  local = await startDashboard({ store, team, temporalUiUrl: 'http://localhost:8233', user: 'u', port: 0, assets });
  exposed = await startDashboard({ store, team, temporalUiUrl: 'http://localhost:8233', user: 'u', host: '0.0.0.0', port: 0, token: 's3cret', assets });
});

afterAll(async () => {
  await local?.close();
  await exposed?.close();
  await store?.close();
});

describe('dashboard server guards', () => {
  const decide = '/api/skills/demo--ann/decide';
  const json = { 'content-type': 'application/json' };

  it('serves the page with a strict Content-Security-Policy and refuses foreign Host headers', async () => {
    const page = await call(local.port, '/', 'GET', { host: `127.0.0.1:${local.port}` });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect((await call(local.port, '/', 'GET', { host: `localhost:${local.port}` })).status).toBe(200);
    expect((await call(local.port, '/', 'GET', { host: 'evil.example:80' })).status).toBe(421);
  });

  it('takes actions only from its own origin, as JSON', async () => {
    const host = `127.0.0.1:${local.port}`;
    const body = JSON.stringify({ version: 2, action: 'approve' });
    expect((await call(local.port, decide, 'POST', { host, ...json }, body)).status).toBe(403);
    expect((await call(local.port, decide, 'POST', { host, origin: 'http://evil.example', ...json }, body)).status).toBe(403);
    expect((await call(local.port, decide, 'POST', { host, origin: `http://${host}`, 'content-type': 'text/plain' }, body)).status).toBe(415);
    const badVersion = await call(local.port, decide, 'POST', { host, origin: `http://${host}`, ...json }, JSON.stringify({ version: 'x', action: 'approve' }));
    expect(badVersion.status).toBe(400);
  });

  it('off loopback, an action needs the token', async () => {
    const host = `127.0.0.1:${exposed.port}`;
    const body = JSON.stringify({ version: 2, action: 'approve' });
    const headers = { host, origin: `http://${host}`, ...json };
    expect((await call(exposed.port, decide, 'POST', headers, body)).status).toBe(401);
    expect((await call(exposed.port, decide, 'POST', { ...headers, 'x-skillopt-token': 'wrong!' }, body)).status).toBe(401);
    const list = JSON.parse((await call(exposed.port, '/api/skills', 'GET', { host })).body) as { actions: { needsToken: boolean } };
    expect(list.actions.needsToken).toBe(true);
  });
});

describe('dashboard numbers', () => {
  const verdict = (session: string, outcome: VerdictRecord['outcome'], version: number, at: number): VerdictRecord => ({
    name: 'demo', author: 'ann', skillVersion: version, sessionId: session, toolUseId: 't', eventId: `${session}-${at}`, outcome, confidence: 1, reason: '', agent: 'a', user: 'u', createdAt: new Date(at).toISOString(),
  });
  const now = Date.UTC(2026, 11, 2, 12);

  it('counts an invocation once: failed if any verdict failed, not-judged never', () => {
    const invocations = judgedInvocations([verdict('a', 'passed', 1, now - 1000), verdict('a', 'failed', 1, now), verdict('b', 'not-judged', 1, now), verdict('c', 'passed', 2, now)]);
    expect(invocations.map((i) => [i.version, i.passed])).toEqual([[1, false], [2, true]]);
  });

  it('rates day by day over 30 days, and by version with a Wilson interval', () => {
    const invs = judgedInvocations([verdict('a', 'passed', 1, now - 2 * DAY_MS), verdict('b', 'failed', 1, now), verdict('c', 'passed', 2, now), verdict('old', 'failed', 1, now - 40 * DAY_MS)]);
    const daily = dailyRates(invs, now, 30);
    expect(daily.days).toHaveLength(30);
    expect(daily.rates.at(-1)).toBe(0.5);
    expect(daily.rates.at(-3)).toBe(1);
    expect([daily.passed, daily.judged]).toEqual([2, 3]);
    const chart = versionChart(invs);
    expect(chart.series.map((s) => s.version)).toEqual([1, 2]);
    expect(chart.series[1]!.rate.slice(0, 2)).toEqual([null, null]);
    const [lo, hi] = wilsonInterval(8, 10);
    expect(lo).toBeCloseTo(0.49, 2);
    expect(hi).toBeCloseTo(0.943, 2);
  });
});
