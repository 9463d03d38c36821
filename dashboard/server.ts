// The skills dashboard's HTTP server: node:http and a handful of routes (a
// static page, its two bundled assets, a small JSON API). Every text a person
// or model wrote reaches the page as JSON and is put in the DOM as text
// (client.ts), under a Content-Security-Policy that allows only this origin's
// own script: nothing in a skill body can run.
//
// Loopback by default. Bound to another address, actions need the
// SKILLOPT_DASHBOARD_TOKEN (sent by the page as a header); every action must
// come from the page's own origin (Origin checked, JSON only), and every
// request must name this server in its Host header (no DNS rebinding).
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tryParseSkillRef, type SkillRef } from '../core/skill-ref';
import type { ActionsInfo, DecideRequest, SkillListResponse } from './api';
import { loadDashboardAssets, type DashboardAssets } from './assets';
import { DashboardData, DashboardError, type DashboardSources } from './data';

export const DEFAULT_DASHBOARD_PORT = 8234;
export const DEFAULT_DASHBOARD_HOST = '127.0.0.1';
const MAX_BODY_BYTES = 16 * 1024;
export const TOKEN_HEADER = 'x-skillopt-token';

export interface DashboardOptions extends DashboardSources {
  host?: string;
  /** 0 picks a free port (tests). */
  port?: number;
  /** Required for actions when host is not loopback; default SKILLOPT_DASHBOARD_TOKEN from `env`. */
  token?: string;
  env?: NodeJS.ProcessEnv;
  assets?: DashboardAssets;
}

export interface RunningDashboard {
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>skillopt · skills</title>
<link rel="stylesheet" href="/assets/app.css">
</head>
<body>
<header><a href="#/" class="brand">skillopt</a><span class="tagline">the team's skills</span></header>
<main id="app"><p class="muted">Loading…</p></main>
<script src="/assets/app.js"></script>
</body>
</html>
`;

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

function tokenMatches(expected: string, given: string | undefined): boolean {
  if (!given) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new DashboardError('request body too large', 413);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new DashboardError('the request body is not JSON', 400);
  }
}

function decideRequest(body: unknown): DecideRequest {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const version = b.version;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) throw new DashboardError('version must be a whole number from 1 up', 400);
  if (b.action !== 'approve' && b.action !== 'reject') throw new DashboardError('action must be approve or reject', 400);
  if (b.reason !== undefined && (typeof b.reason !== 'string' || b.reason.length > 1000)) throw new DashboardError('reason must be text of at most 1000 characters', 400);
  const reason = typeof b.reason === 'string' ? b.reason.trim() : '';
  return { version, action: b.action, ...(reason ? { reason } : {}) };
}

function skillRefOf(segment: string): SkillRef {
  let text: string;
  try {
    text = decodeURIComponent(segment);
  } catch {
    throw new DashboardError('not a skill ref', 400);
  }
  const ref = tryParseSkillRef(text);
  if (!ref) throw new DashboardError(`not a skill ref (<name>--<author>): ${text.slice(0, 80)}`, 400);
  return ref;
}

function versionParam(url: URL, name: string): number {
  const raw = url.searchParams.get(name) ?? '';
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new DashboardError(`${name} must be a version number`, 400);
  return n;
}

export async function startDashboard(options: DashboardOptions): Promise<RunningDashboard> {
  const host = options.host ?? DEFAULT_DASHBOARD_HOST;
  const loopback = isLoopback(host);
  const token = (options.token ?? options.env?.SKILLOPT_DASHBOARD_TOKEN ?? '').trim() || undefined;
  const assets = options.assets ?? (await loadDashboardAssets());
  const data = new DashboardData(options);
  const actions: ActionsInfo = options.temporal === false
    ? { enabled: false, needsToken: false, note: 'no Temporal connection: approve and reject are off' }
    : loopback
      ? { enabled: true, needsToken: false }
      : token
        ? { enabled: true, needsToken: true }
        : { enabled: false, needsToken: true, note: 'bound to a non-loopback address without SKILLOPT_DASHBOARD_TOKEN: approve and reject are off' };
  let port = options.port ?? DEFAULT_DASHBOARD_PORT;

  /** Host names this server answers to (the Host header, against DNS rebinding). */
  const allowedHosts = (): Set<string> => {
    const names = loopback ? ['127.0.0.1', 'localhost', '[::1]'] : [host.includes(':') ? `[${host}]` : host];
    if (loopback && host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') names.push(host);
    return new Set(names.map((n) => `${n}:${port}`.toLowerCase()));
  };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const hostHeader = (req.headers.host ?? '').toLowerCase();
    // Bound to 0.0.0.0 or ::, any address of this machine is fine; elsewhere only the configured names.
    const anyAddress = host === '0.0.0.0' || host === '::';
    if (!anyAddress && !allowedHosts().has(hostHeader)) throw new DashboardError('unknown Host header', 421);
    const url = new URL(req.url ?? '/', `http://${hostHeader || 'localhost'}`);
    const path = url.pathname;
    const method = req.method ?? 'GET';

    if (method === 'GET' || method === 'HEAD') {
      if (path === '/' || path === '/index.html') return send(res, 200, 'text/html; charset=utf-8', PAGE);
      if (path === '/assets/app.js') return send(res, 200, 'text/javascript; charset=utf-8', assets.js);
      if (path === '/assets/app.css') return send(res, 200, 'text/css; charset=utf-8', assets.css);
      if (path === '/favicon.ico') return send(res, 204, 'text/plain', '');
      if (path === '/api/skills') {
        const body: SkillListResponse = { skills: await data.listSkills(), generatedAt: new Date().toISOString(), actions };
        return sendJson(res, 200, body);
      }
      const diff = /^\/api\/skills\/([^/]+)\/diff$/.exec(path);
      if (diff) return sendJson(res, 200, await data.diff(skillRefOf(diff[1]!), versionParam(url, 'from'), versionParam(url, 'to')));
      const skill = /^\/api\/skills\/([^/]+)$/.exec(path);
      if (skill) return sendJson(res, 200, { ...(await data.skillPage(skillRefOf(skill[1]!))), actions });
      throw new DashboardError('not found', 404);
    }

    if (method === 'POST') {
      const decide = /^\/api\/skills\/([^/]+)\/decide$/.exec(path);
      if (!decide) throw new DashboardError('not found', 404);
      // Only the page itself acts: same origin, JSON (no form post or image tag can send that).
      if (req.headers.origin !== `http://${hostHeader}`) throw new DashboardError('refused: actions are accepted only from the dashboard\'s own page (Origin)', 403);
      if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) throw new DashboardError('refused: actions are JSON', 415);
      if (!actions.enabled) throw new DashboardError(actions.note ?? 'actions are off', 403);
      if (actions.needsToken && !tokenMatches(token!, req.headers[TOKEN_HEADER] as string | undefined)) {
        throw new DashboardError('refused: this action needs the dashboard token (SKILLOPT_DASHBOARD_TOKEN)', 401);
      }
      const request = decideRequest(await readJson(req));
      return sendJson(res, 200, await data.decide(skillRefOf(decide[1]!), request));
    }
    throw new DashboardError('method not allowed', 405);
  }

  const server: Server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      const status = err instanceof DashboardError ? err.status : 500;
      const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
      if (!res.headersSent) sendJson(res, status, { error: message });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    host,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
