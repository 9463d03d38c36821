// The dashboard's guards without a browser: Host, Origin, JSON, the token off
// loopback, and the page's security headers.
import { request } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type RunningDashboard } from '../../dashboard/server';
import { openStore, type Store } from '../../store/open-store';
import { directBackend } from '../../team/direct';

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
const unreachedTemporal = () => Promise.reject(new Error('the lane was asked'));
const assets = { js: '/* page */', css: '/* css */' };
let store: Store;
let local: RunningDashboard;
let exposed: RunningDashboard;

beforeAll(async () => {
  store = await openStore({ home: mkdtempSync(join(tmpdir(), 'skillopt-dash-')) });
  local = await startDashboard({ backend: directBackend(store, { connect: unreachedTemporal }), temporalUiUrl: 'http://localhost:8233', user: 'u', port: 0, assets });
  exposed = await startDashboard({ backend: directBackend(store, { connect: unreachedTemporal }), temporalUiUrl: 'http://localhost:8233', user: 'u', host: '0.0.0.0', port: 0, token: 's3cret', assets });
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
