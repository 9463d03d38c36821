// The dashboard's promise, end to end: `skillopt up` (what `npm start` runs),
// a person's push, a pushback in a real Claude Code session (against the
// scripted Messages API), and then the dashboard `up` serves shows the skill,
// the candidate, its diff and its canary, and one click promotes it; the next
// session pulls the promoted version. One machine and one HOME, as on a
// developer's laptop; the user's Temporal address names `up`'s dev server
// (its port is not the default, so tests never collide with a real `up`).
// Screenshots go to test-output/dashboard-e2e/ (not committed).
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveFlusherPid } from '../../local/outbox/flusher-lock';
import { anthropicEnv, startAnthropicServer, type AnthropicServer } from '../fixtures/anthropic-server';
import { launchChromium } from '../helpers/chromium';
import { freePort } from '../helpers/wait';
import { BETTER_TESTS_LINE, BODY, SKILL, WRONG, deployRules } from './deploy-skill';
import { CLAUDE_BIN, REPO, baseEnv, describeRun, makeSandbox, runClaude, until, writeSkillDir, type Sandbox } from './helpers';

const SHOTS = join(REPO, 'test-output', 'dashboard-e2e');

let server: AnthropicServer;
let box: Sandbox;
let env: Record<string, string>;
let up: ResultPromise | undefined;
let upOutput = '';
let dashboardUrl = '';
let browser: Browser;
let page: Page;

function skillopt(args: string[]) {
  return execa('skillopt', args, { env, extendEnv: false, cwd: box.cwd, reject: false, timeout: 60_000 });
}

async function agent(prompt: string, resume?: string): Promise<string> {
  const run = await runClaude(prompt, { env, cwd: box.cwd, args: resume ? ['--resume', resume] : [], timeoutMs: 60_000 });
  expect(run.exitCode, describeRun(run)).toBe(0);
  return run.json!.session_id!;
}

function installedVersion(): number | undefined {
  const path = join(box.home, '.claude', 'skills', SKILL, 'SKILL.md');
  return existsSync(path) ? Number(/^version: (\d+)$/m.exec(readFileSync(path, 'utf8'))?.[1]) : undefined;
}

/** until(), with `up`'s output and the hooks' log when the wait fails. */
async function waitFor<T>(what: string, fn: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  try {
    return await until(what, fn, ok, timeoutMs, 250);
  } catch (err) {
    const log = join(box.home, '.skillopt', 'hooks.log');
    throw new Error(`${(err as Error).message}\n--- skillopt up ---\n${upOutput.slice(-3000)}\n--- hooks.log ---\n${existsSync(log) ? readFileSync(log, 'utf8').slice(-3000) : '(none)'}`);
  }
}

async function open(hash: string): Promise<void> {
  await page.goto(`${dashboardUrl}/${hash}`);
  await page.waitForFunction((h) => document.body.dataset.ready === h, hash);
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await startAnthropicServer({ rules: deployRules() });
  box = makeSandbox('skillopt-dashboard-e2e-');
  const bin = join(box.root, 'bin');
  mkdirSync(bin);
  symlinkSync(CLAUDE_BIN, join(bin, 'claude'));
  symlinkSync(join(REPO, 'bin', 'skillopt.js'), join(bin, 'skillopt'));
  const [temporalPort, uiPort, dashboardPort] = [await freePort(), await freePort(), await freePort()];
  env = baseEnv({
    PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: box.home,
    SKILLOPT_USER: 'alice',
    TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
    SKILLOPT_FLUSHER_LINGER_MS: '1000',
    SKILLOPT_DEBUG: '1',
    ...anthropicEnv(server.url),
  });
  // `up` itself runs as on a fresh laptop: no Temporal settings of its own, the embedded SQLite store.
  const { TEMPORAL_ADDRESS: _address, ...upEnv } = env;
  up = execa(process.execPath, [join(REPO, 'bin', 'skillopt.js'), 'up', '--temporal-port', String(temporalPort), '--ui-port', String(uiPort), '--dashboard-port', String(dashboardPort)], {
    env: upEnv,
    extendEnv: false,
    cwd: box.cwd,
    reject: false,
    all: true,
  });
  up.all!.on('data', (chunk: Buffer) => (upOutput += chunk.toString()));
  await until('skillopt up to start', () => upOutput, (out) => out.includes('Ctrl-C stops everything.') || up!.exitCode !== null, 120_000, 250).catch(() => undefined);
  if (!upOutput.includes('Ctrl-C stops everything.')) throw new Error(`skillopt up did not start:\n${upOutput}`);
  dashboardUrl = /Skills dashboard (http:\/\/\S+)/.exec(upOutput)?.[1] ?? '';
  expect(dashboardUrl).toBe(`http://127.0.0.1:${dashboardPort}`);
  const install = await skillopt(['hooks', 'install']);
  expect(install.exitCode, install.stderr).toBe(0);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  // Nothing but the dashboard itself is ever asked for.
  page.on('request', (request) => {
    if (!request.url().startsWith(dashboardUrl)) throw new Error(`the page asked the network for ${request.url()}`);
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (box) await until('the flusher to exit', () => liveFlusherPid(join(box.home, '.skillopt')), (pid) => pid === undefined, 15_000).catch(() => undefined);
  if (up) {
    up.kill('SIGINT');
    await Promise.race([up, new Promise((r) => setTimeout(r, 20_000))]);
    up.kill('SIGKILL');
  }
  await server?.close();
  if (box) rmSync(box.root, { recursive: true, force: true });
}, 60_000);

describe('the skills dashboard, from `skillopt up` to one click', () => {
  it("after a push and a pushback, shows the candidate, its diff and its canary; Approve makes it everyone's", async () => {
    const source = join(box.root, 'src', 'deploy-checklist');
    writeSkillDir(source, 'deploy-checklist', 'Use when deploying services to production', BODY);
    const push = await skillopt(['push', source, '--author', 'alice']);
    expect(push.exitCode, `${push.stdout}\n${push.stderr}`).toBe(0);
    await agent('hello');
    await waitFor('v1 installed by the SessionStart pull', installedVersion, (v) => v === 1);

    const session = await agent('deploy the service');
    await agent(WRONG, session);

    // The list: the skill, its stable v1 and the candidate v2 the lane made from the pushback.
    await waitFor(
      'the candidate on the dashboard',
      async () => (await (await fetch(`${dashboardUrl}/api/skills`)).json()) as { skills: { ref: string; candidate: { version: number } | null }[] },
      (list) => list.skills.some((s) => s.ref === SKILL && s.candidate?.version === 2),
      120_000,
    );
    await open('#/');
    const row = page.locator(`tr[data-skill="${SKILL}"]`);
    await expect(row.textContent()).resolves.toMatch(/v1[\s\S]*v2/);
    await page.screenshot({ path: join(SHOTS, 'list.png'), fullPage: true });

    // The skill: its candidate on canary, the judged failure among the invocations, the diff.
    await page.click(`a[href="#/skill/${encodeURIComponent(SKILL)}"]`);
    await page.waitForFunction(() => document.body.dataset.ready?.startsWith('#/skill/'));
    await expect(page.textContent('[data-testid="canary"]')).resolves.toContain('Candidate v2');
    await expect(page.textContent('[data-testid="rollout"]')).resolves.toContain('canary');
    await expect(page.textContent('[data-testid="invocations"]')).resolves.toContain('failed');
    await page.selectOption('[data-testid="diff-from"]', '1');
    await page.selectOption('[data-testid="diff-to"]', '2');
    await page.click('[data-testid="show-diff"]');
    await page.waitForSelector('[data-testid="diff"] pre .add');
    expect(await page.locator('[data-testid="diff"] pre .add').allTextContents()).toContain(`+${BETTER_TESTS_LINE}`);
    await page.screenshot({ path: join(SHOTS, 'candidate.png'), fullPage: true });

    // One click: the lane's decide update promotes it.
    await page.click('[data-testid="approve"]');
    await page.waitForSelector('[data-testid="timeline"] li[data-version="2"] .head [data-state="stable"]');
    await expect(page.textContent('[data-testid="timeline"] li[data-version="1"] .head')).resolves.toContain('retired');
    await page.screenshot({ path: join(SHOTS, 'promoted.png'), fullPage: true });
    const history = await skillopt(['skills', 'history', SKILL]);
    expect(history.stdout).toMatch(/^v2\s+stable\s+skillopt\b.*alice: approved$/m);

    // Everyone's now: the next session pulls it.
    await agent('hello');
    await waitFor('v2 installed by the SessionStart pull', installedVersion, (v) => v === 2);
    expect(readFileSync(join(box.home, '.claude', 'skills', SKILL, 'SKILL.md'), 'utf8')).toContain(BETTER_TESTS_LINE);
  }, 300_000);
});
