// No container engine runs here, so the production topology is checked as
// data: docker-compose.yml parsed as YAML (with compose's variable defaults
// applied), plus the Dockerfile and .dockerignore as text.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/definitions';

const root = fileURLToPath(new URL('../..', import.meta.url));
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const services = compose.services;

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  ports?: (string | number)[];
  healthcheck?: { test?: string | string[] };
  entrypoint?: string | string[];
  command?: string | string[];
  volumes?: string[];
  init?: boolean;
}

const SEARCH_ATTRIBUTES = {
  SkillRef: 'Keyword',
  SkillName: 'Keyword',
  SkillAuthor: 'Keyword',
  SkillVersion: 'Int',
  SkillUser: 'Keyword',
  Verdict: 'Keyword',
  ImprovementsPublished: 'Int',
};

/** Compose's interpolation with nothing set in the environment: `${A:-x}` → x, `${A}` → '', `$$` → `$`. */
function interpolate(value: string): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (match: string, _name?: string, op?: string, arg?: string) => {
    if (match === '$$') return '$';
    if (op === ':-' || op === '-') return arg ?? '';
    if (op === ':?' || op === '?') throw new Error(`compose needs a variable: ${match}`);
    return '';
  });
}

function env(name: string): Record<string, string> {
  const raw = services[name].environment ?? {};
  const entries: [string, string][] = Array.isArray(raw)
    ? raw.map((item): [string, string] => {
        const eq = item.indexOf('=');
        return eq < 0 ? [item, ''] : [item.slice(0, eq), item.slice(eq + 1)];
      })
    : Object.entries(raw).map(([k, v]): [string, string] => [k, v === null ? '' : String(v)]);
  return Object.fromEntries(entries.map(([k, v]) => [k, interpolate(v)]));
}

function dependsOn(name: string): Record<string, string> {
  const raw = services[name].depends_on ?? {};
  if (Array.isArray(raw)) return Object.fromEntries(raw.map((dep) => [dep, 'service_started']));
  return Object.fromEntries(Object.entries(raw).map(([dep, spec]) => [dep, spec.condition ?? 'service_started']));
}

function commandText(name: string): string {
  const command = services[name].command;
  return Array.isArray(command) ? command.join(' ') : (command ?? '');
}

/** Services in an order where each comes after everything it depends on; throws on a cycle. */
function startOrder(): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') throw new Error(`dependency cycle through ${name}`);
    state.set(name, 'visiting');
    for (const dep of Object.keys(dependsOn(name))) visit(dep);
    state.set(name, 'done');
    order.push(name);
  };
  Object.keys(services).sort().forEach(visit);
  return order;
}

describe('docker-compose.yml', () => {
  it('has Postgres, Temporal, its admin job, the Web UI and the worker, each with a pinned image or a build', () => {
    expect(Object.keys(services).sort()).toEqual(['postgres', 'skillopt-worker', 'temporal', 'temporal-admin-tools', 'temporal-ui']);
    for (const [name, service] of Object.entries(services)) {
      if (name === 'skillopt-worker') {
        expect(service.image).toBeUndefined();
        continue;
      }
      expect(service.image, name).toMatch(/^[\w./-]+:[\w.-]+$/);
      expect(service.image, name).not.toMatch(/:latest$/);
    }
    expect(services.postgres.image).toMatch(/^postgres:16(\.\d+)*$/);
    expect(services.temporal.image).toMatch(/^temporalio\/auto-setup:1\.29\.\d+$/);
    expect(services['temporal-admin-tools'].image).toMatch(/^temporalio\/admin-tools:1\.29\.\d+/);
    expect(services['temporal-ui'].image).toMatch(/^temporalio\/ui:\d+\.\d+\.\d+$/);
  });

  it('keeps the admin tools on the server’s release line', () => {
    const serverMinor = /:(\d+\.\d+)\./.exec(services.temporal.image ?? '')?.[1];
    expect(services['temporal-admin-tools'].image).toContain(`:${serverMinor}.`);
  });

  it('gives Postgres a TCP readiness healthcheck, a volume and the skillopt database', () => {
    const test = services.postgres.healthcheck?.test;
    const text = Array.isArray(test) ? test.join(' ') : (test ?? '');
    expect(text).toMatch(/pg_isready/);
    expect(text).toMatch(/-h 127\.0\.0\.1/);
    expect(env('postgres').POSTGRES_DB).toBe('skillopt');
    expect(services.postgres.volumes?.[0]).toMatch(/^postgres-data:\/var\/lib\/postgresql\/data$/);
    expect(compose.volumes).toHaveProperty('postgres-data');
  });

  it('runs Temporal on that Postgres with the auto-setup image’s settings', () => {
    const pg = env('postgres');
    const temporal = env('temporal');
    expect(temporal.DB).toBe('postgres12');
    expect(temporal.DB_PORT).toBe('5432');
    expect(temporal.POSTGRES_SEEDS).toBe('postgres');
    expect(temporal.POSTGRES_USER).toBe(pg.POSTGRES_USER);
    expect(temporal.POSTGRES_PWD).toBe(pg.POSTGRES_PASSWORD);
    // auto-setup creates its databases only when their names differ from the user's.
    expect(pg.POSTGRES_USER).not.toMatch(/^temporal(_visibility)?$/);
    expect(temporal.SKIP_ADD_CUSTOM_SEARCH_ATTRIBUTES).toBe('true');
    expect(services.temporal.ports).toContain('7233:7233');
  });

  it('registers exactly skillopt’s search attributes, with the types the workflow code declares', () => {
    const command = commandText('temporal-admin-tools');
    expect(command).toContain('temporal operator search-attribute create');
    const registered = Object.fromEntries([...command.matchAll(/--name\s+(\w+)\s+--type\s+(\w+)/g)].map((m) => [m[1], m[2]]));
    expect(registered).toEqual(SEARCH_ATTRIBUTES);
    const declared = Object.fromEntries(ALL_SEARCH_ATTRIBUTES.map((key) => [key.name, key.type]));
    expect(Object.fromEntries(Object.entries(registered).map(([name, type]) => [name, type.toUpperCase()]))).toEqual(declared);
  });

  it('points the admin job at the server and the worker’s namespace, escaping its shell variables from compose', () => {
    const admin = env('temporal-admin-tools');
    expect(admin.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(admin.TEMPORAL_NAMESPACE).toBe(env('skillopt-worker').TEMPORAL_NAMESPACE);
    const command = commandText('temporal-admin-tools');
    expect(command).toContain('"$$TEMPORAL_NAMESPACE"');
    // A lone `$` would be replaced by compose (with an empty string) before the shell sees it.
    expect(command.replace(/\$\$/g, '')).not.toContain('$');
    expect(services['temporal-admin-tools'].entrypoint).toEqual(['/bin/sh', '-c']);
  });

  it('serves the Web UI on port 8080 against the server', () => {
    expect(env('temporal-ui').TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(services['temporal-ui'].ports).toContain('8080:8080');
  });

  it('builds the worker from the Dockerfile and wires it to Temporal and the skillopt database', () => {
    const build = services['skillopt-worker'].build;
    const context = typeof build === 'string' ? build : build?.context;
    const dockerfile = typeof build === 'string' ? 'Dockerfile' : (build?.dockerfile ?? 'Dockerfile');
    expect(context).toBe('.');
    expect(existsSync(join(root, dockerfile))).toBe(true);

    const worker = env('skillopt-worker');
    const pg = env('postgres');
    expect(worker.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(worker.TEMPORAL_NAMESPACE).toBe('default');
    const url = new URL(worker.SKILLOPT_DATABASE_URL);
    expect(url.protocol).toBe('postgres:');
    expect(url.hostname).toBe('postgres');
    expect(url.port).toBe('5432');
    expect(url.pathname).toBe(`/${pg.POSTGRES_DB}`);
    expect(decodeURIComponent(url.username)).toBe(pg.POSTGRES_USER);
    expect(decodeURIComponent(url.password)).toBe(pg.POSTGRES_PASSWORD);
    // No Claude Code CLI in the image: the HTTP backend by default, configured from the host.
    expect(worker.SKILLOPT_MODEL_BACKEND).toBe('openai');
    for (const name of ['SKILLOPT_OPENAI_BASE_URL', 'SKILLOPT_OPENAI_API_KEY', 'SKILLOPT_JUDGE_MODEL', 'SKILLOPT_PROPOSER_MODEL']) {
      expect(worker).toHaveProperty(name);
    }
    expect(services['skillopt-worker'].init).toBe(true);
  });

  it('starts everything in dependency order, waiting for what each step needs', () => {
    for (const name of Object.keys(services)) {
      for (const dep of Object.keys(dependsOn(name))) expect(Object.keys(services), `${name} depends on ${dep}`).toContain(dep);
    }
    const order = startOrder();
    const before = (a: string, b: string): boolean => order.indexOf(a) < order.indexOf(b);
    expect(before('postgres', 'temporal')).toBe(true);
    expect(before('temporal', 'temporal-admin-tools')).toBe(true);
    expect(before('temporal', 'temporal-ui')).toBe(true);
    expect(before('temporal-admin-tools', 'skillopt-worker')).toBe(true);

    expect(dependsOn('temporal')).toEqual({ postgres: 'service_healthy' });
    expect(dependsOn('temporal-admin-tools')).toHaveProperty('temporal');
    expect(dependsOn('temporal-ui')).toHaveProperty('temporal');
    expect(dependsOn('skillopt-worker')).toEqual({
      postgres: 'service_healthy',
      temporal: 'service_started',
      'temporal-admin-tools': 'service_completed_successfully',
    });
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));

  it('builds on node:20-bookworm-slim with npm ci and npm run build', () => {
    const froms = instructions.filter((line) => /^FROM /i.test(line));
    expect(froms.length).toBeGreaterThan(0);
    for (const from of froms) expect(from).toMatch(/^FROM node:20-bookworm-slim\b/);
    expect(dockerfile).toMatch(/RUN npm ci\b/);
    expect(dockerfile).toMatch(/npm run build\b/);
    // The lockfile goes in before npm ci, so installs are reproducible.
    expect(dockerfile).toMatch(/COPY package\.json package-lock\.json/);
  });

  it('runs the worker bundle as a non-root user', () => {
    const last = (re: RegExp): number => instructions.findLastIndex((line) => re.test(line));
    const user = instructions[last(/^USER /)];
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER (root|0)(:|$)/);
    expect(last(/^USER /)).toBeLessThan(last(/^CMD /));
    expect(instructions[last(/^CMD /)]).toBe('CMD ["node", "dist/worker.mjs"]');
  });

  it('keeps local installs, builds and secrets out of the build context', () => {
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').map((line) => line.trim());
    for (const entry of ['node_modules', 'dist', '.git', '.tools', '.env']) expect(ignored).toContain(entry);
    // What the build needs must stay in.
    for (const entry of ['package.json', 'package-lock.json', 'scripts', 'worker', 'agents']) expect(ignored).not.toContain(entry);
  });
});
