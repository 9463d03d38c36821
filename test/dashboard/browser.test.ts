// The skills dashboard in a real browser: Debian's Chromium driven by
// playwright-core, against a real Temporal dev server, a real SQLite store and
// the real skillopt worker (whose lanes own the candidates). Screenshots go to
// test-output/dashboard/ (not committed).
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { Browser, Page } from 'playwright-core';
import { treeFileOf } from '../../core/content-hash';
import type { TreeFile } from '../../core/skill-tree';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatSkillRef, workflowIdForSkill, type SkillRef } from '../../core/skill-ref';
import { startDashboard, type RunningDashboard } from '../../dashboard/server';
import type { TeamConnection } from '../../team/connection';
import { directBackend } from '../../team/direct';
import { temporalBackend } from '../../team/through-temporal';
import { openStore, type Store } from '../../store/open-store';
import { dailyModelCalls } from '../../local/model-calls';
import { createSkilloptWorker } from '../../worker/worker';
import { TASK_QUEUE, laneStateQuery, verdictRecordedSignal } from '../../workflows/definitions';
import { startTestServer, uniqueName, workflowBundle } from '../helpers/temporal';
import { launchChromium } from '../helpers/chromium';
import { until } from '../helpers/wait';
import { makeSandbox, run } from '../cli/helpers';
import { addOwnerSigned } from '../helpers/signed';
import { testKey } from '../helpers/keys';

const SHOTS = join(import.meta.dirname, '..', '..', 'test-output', 'dashboard');
const EVIL_BODY = '# Evil\n\nHello <script>window.__pwned=1</script> and <img src=x onerror="window.__pwned=1"> there.\n';
const DAY = 24 * 60 * 60 * 1000;

let env: TestWorkflowEnvironment;
let store: Store;
let worker: Worker;
let running: Promise<void>;
let dashboard: RunningDashboard;
let team: TeamConnection;
let browser: Browser;
let page: Page;
let taskQueue: string;
const deploy: SkillRef = { name: uniqueName('deploy'), author: 'ann' };
const review: SkillRef = { name: uniqueName('review'), author: 'bob' };
const evil: SkillRef = { name: uniqueName('evil'), author: 'eve' };

/** Files of a version's folder, path → content; their contents are stored first. */
async function tree(files: Record<string, string | Buffer>): Promise<TreeFile[]> {
  const out = Object.entries(files).map(([path, content]) => ({ file: treeFileOf(path, Buffer.from(content), false), data: Buffer.from(content) }));
  await store.putContents(out.map(({ file, data }) => ({ hash: file.hash, data })));
  return out.map((o) => o.file);
}

async function withCandidate(ref: SkillRef, bodies: [string, string], descriptions: [string, string], trees: [TreeFile[], TreeFile[]] = [[], []]): Promise<void> {
  await store.publishVersion({ ...ref, body: bodies[0], description: descriptions[0], contributors: [ref.author], createdBy: ref.author, baseVersion: 0, files: trees[0] });
  await store.setRolloutSettings(ref, { policy: 'approval', updatedBy: ref.author });
  // The dashboard's users decide: they are owners (only owners approve or reject).
  const author = testKey();
  for (const user of ['dana', 'erin']) await addOwnerSigned(store, ref, user, author);
  await store.publishVersion({ ...ref, body: bodies[1], description: descriptions[1], contributors: [ref.author], createdBy: 'skillopt', baseVersion: 1, state: 'candidate', reason: 'improvement from 2 failures', files: trees[1], precheck: { decision: 'go-on', addressed: 2, failures: 2, worse: 0, passes: 3, unanswered: 0, reasons: [] } });
  // As the worker does after a verdict: the lane learns of its candidate (signal-with-start).
  await env.client.workflow.signalWithStart('skillWorkflow', {
    workflowId: workflowIdForSkill(ref),
    taskQueue,
    args: [{ ref }],
    signal: verdictRecordedSignal,
    signalArgs: [{ version: 2, outcome: 'passed' }],
  });
  await until(
    () => env.client.workflow.getHandle(workflowIdForSkill(ref)).query(laneStateQuery).catch(() => undefined),
    (s) => s?.rollout?.version === 2,
  );
}

async function verdicts(ref: SkillRef, version: number, outcomes: ('passed' | 'failed')[], daysAgo: number, reason = 'ok'): Promise<void> {
  let i = 0;
  for (const outcome of outcomes) {
    const at = new Date(Date.now() - daysAgo * DAY + i * 60_000).toISOString();
    const id = uniqueName('s');
    await store.recordVerdict({ ...ref, skillVersion: version, sessionId: id, toolUseId: 'toolu_1', eventId: id, outcome, confidence: 0.9, reason, agent: 'claude_code', user: 'carol', createdAt: at });
    i += 1;
  }
}

async function open(hash: string): Promise<void> {
  await page.goto(`${dashboard.url}/${hash}`);
  await page.waitForFunction((h) => document.body.dataset.ready === h, hash);
}

/** The store's SKILLOPT_HOME: `skillopt report` reads it as the embedded store. */
let dir: string;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'skillopt-dashboard-'));
  [env, store] = await Promise.all([startTestServer(), openStore({ home: dir })]);
  taskQueue = uniqueName(TASK_QUEUE);
  worker = await createSkilloptWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    store,
    model: () => Promise.reject(new Error('no model calls in this test')),
    transcriptRoots: [],
    modelCalls: dailyModelCalls({ home: dir, cap: 10 }),
    taskQueue,
    workflowBundle: await workflowBundle(),
  });
  running = worker.run();

  await withCandidate(deploy, ['# Deploy\n\n1. Test.\n2. Ship.\n', '# Deploy\n\n1. Run the full test suite.\n2. Deploy to staging first.\n3. Ship.\n'], ['Use when deploying', 'Use when deploying services']);
  await withCandidate(review, ['# Review\n\nRead the diff.\n', '# Review\n\nSkim.\n'], ['Use for code review', 'Use for code review'], [
    await tree({ 'references/style.md': '# Style\n\nTabs.\n', 'assets/logo.png': Buffer.from([0, 1, 2]) }),
    await tree({ 'references/style.md': '# Style\n\nSpaces.\n', 'assets/logo.png': Buffer.from([0, 1, 2, 3]) }),
  ]);
  await withCandidate(evil, [EVIL_BODY, `${EVIL_BODY}<b onmouseover="window.__pwned=1">bold</b>\n`], ['<img src=x onerror="window.__pwned=1">', '<script>window.__pwned=1</script>']);
  await verdicts(deploy, 1, ['passed', 'failed', 'failed'], 6);
  await verdicts(deploy, 1, ['passed', 'failed', 'passed'], 4);
  await verdicts(deploy, 2, ['passed', 'passed'], 2);
  await verdicts(deploy, 2, ['passed', 'passed', 'failed'], 1);
  await verdicts(evil, 1, ['failed'], 1, '<script>window.__pwned=1</script> the user said <img src=x onerror="window.__pwned=1">');

  team = { client: env.client, address: 'test', namespace: env.namespace ?? 'default', taskQueue, close: async () => undefined };
  dashboard = await startDashboard({
    backend: directBackend(store, { connect: async () => team }),
    temporalUiUrl: 'http://localhost:8233',
    user: 'dana',
    port: 0,
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  // Nothing but the dashboard itself is ever asked for.
  page.on('request', (request) => {
    if (!request.url().startsWith(dashboard.url)) throw new Error(`the page asked the network for ${request.url()}`);
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running?.catch(() => undefined);
  await store?.close();
  await env?.teardown();
});

describe('the skills dashboard in Chromium', () => {
  it('lists the skills with their versions, success rate and a trend chart', async () => {
    await open('#/');
    const row = page.locator(`tr[data-skill="${formatSkillRef(deploy)}"]`);
    await expect(row.textContent()).resolves.toContain('v2');
    expect(await row.locator('td').nth(3).textContent()).toMatch(/\d+ %/);
    const box = await row.locator('td.trend canvas').first().boundingBox();
    expect(box?.width).toBeGreaterThan(0);
    expect(box?.height).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, 'list.png'), fullPage: true });
  });

  it('opens a skill: its timeline, its rollout, and the success-rate chart drawn', async () => {
    await open('#/');
    await page.click(`a[href="#/skill/${encodeURIComponent(formatSkillRef(deploy))}"]`);
    await page.waitForFunction(() => document.body.dataset.ready?.startsWith('#/skill/'));
    await expect(page.textContent('[data-testid="skill-title"]')).resolves.toBe(formatSkillRef(deploy));
    const chart = await page.locator('[data-testid="version-chart"] canvas').boundingBox();
    expect(chart!.width).toBeGreaterThan(100);
    expect(chart!.height).toBeGreaterThan(100);
    await expect(page.textContent('[data-testid="timeline"] li[data-version="2"]')).resolves.toContain('improvement from 2 failures');
    await expect(page.textContent('[data-testid="rollout"]')).resolves.toContain('approval');
    // What the pre-publish check said of the candidate, and whether the skill's edits are checked.
    await expect(page.textContent('[data-testid="timeline"] li[data-version="2"] .precheck')).resolves.toBe(
      'pre-publish check: went on (addressed 2 of 2 failures, made worse 0 of 3 passes)',
    );
    await expect(page.textContent('[data-testid="precheck-setting"]')).resolves.toMatch(/^pre-publish check: on \(team default\): each edit is checked against the failures it came from and up to 3 held-out passes/);
    await expect(page.textContent('[data-testid="canary"]')).resolves.toMatch(/Candidate v2 .*passed/);
    await page.screenshot({ path: join(SHOTS, 'skill.png'), fullPage: true });
  });

  it('on a teammate machine (no store) shows the same, read through the central worker', async () => {
    const teammate = await startDashboard({ backend: temporalBackend(team), temporalUiUrl: 'http://localhost:8233', user: 'erin', port: 0 });
    try {
      const both = async (path: string) => Promise.all([dashboard.url, teammate.url].map(async (base) => (await fetch(`${base}${path}`)).json() as Promise<Record<string, unknown>>));
      const [central, remote] = await both('/api/skills');
      expect(remote.skills).toEqual(central.skills);
      expect((remote.skills as unknown[]).length).toBe(3);
      const skillPath = `/api/skills/${encodeURIComponent(formatSkillRef(deploy))}`;
      const [centralPage, remotePage] = await both(skillPath);
      expect(remotePage).toEqual(centralPage);
      expect(remotePage).toMatchObject({ summary: { candidate: { version: 2 }, canary: { version: 2 } } });
      const [centralDiff, remoteDiff] = await both(`${skillPath}/diff?from=1&to=2`);
      expect(remoteDiff).toEqual(centralDiff);
      const missing = await fetch(`${teammate.url}/api/skills/nobody--here`);
      expect(missing.status).toBe(404);
      await expect(missing.json()).resolves.toEqual({ error: 'no skill nobody--here in the store' });
    } finally {
      await teammate.close();
    }
  });

  /** Opens the skill's page and shows the diff of v1 → v2, as a person would. */
  async function showDiff(ref: SkillRef): Promise<void> {
    await open(`#/skill/${encodeURIComponent(formatSkillRef(ref))}`);
    await page.selectOption('[data-testid="diff-from"]', '1');
    await page.selectOption('[data-testid="diff-to"]', '2');
    await page.click('[data-testid="show-diff"]');
    await page.waitForSelector('[data-testid="diff"] pre .add');
  }

  it('shows the diff between two versions', async () => {
    await showDiff(deploy);
    const added = await page.locator('[data-testid="diff"] pre .add').allTextContents();
    expect(added).toContain('+2. Deploy to staging first.');
    expect(added).toContain('+description: Use when deploying services');
    await page.screenshot({ path: join(SHOTS, 'diff.png'), fullPage: true });
  });

  it('shows a diff file by file: a text file as lines, a binary by size', async () => {
    await showDiff(review);
    expect(await page.locator('[data-testid="diff-files"]').textContent()).toBe('other files: assets/logo.png changed (binary, 3 → 4 bytes); references/style.md changed');
    const files = await page.locator('[data-testid="diff"] pre .file').allTextContents();
    expect(files).toEqual([`${formatSkillRef(review)}@v2/SKILL.md`, 'binary assets/logo.png (changed): size 3 bytes → 4 bytes', `${formatSkillRef(review)}@v2/references/style.md`]);
    expect(await page.locator('[data-testid="diff"] pre .add').allTextContents()).toContain('+Spaces.');
  });

  it('approves a pending candidate: it becomes the stable version', async () => {
    await open(`#/skill/${encodeURIComponent(formatSkillRef(deploy))}`);
    await page.click('[data-testid="approve"]');
    await page.waitForSelector('[data-testid="timeline"] li[data-version="2"] .head [data-state="stable"]');
    await expect(page.textContent('[data-testid="timeline"] li[data-version="1"] .head')).resolves.toContain('retired');
    expect((await store.stableVersion(deploy))?.version).toBe(2);
    const decided = (await store.transitions(deploy)).find((t) => t.version === 2 && t.to === 'stable');
    expect(decided).toMatchObject({ from: 'candidate', decidedBy: 'dana' });
    expect(await page.locator('[data-testid="approve"]').count()).toBe(0);
    await page.screenshot({ path: join(SHOTS, 'approved.png'), fullPage: true });
  });

  it('rejects another with a reason, shown in its timeline; a refused decision shows the validator\'s line', async () => {
    await open(`#/skill/${encodeURIComponent(formatSkillRef(review))}`);
    await page.fill('[data-testid="reject-reason"]', 'too terse for <new> hires');
    await page.click('[data-testid="reject"]');
    await page.waitForSelector('[data-testid="timeline"] li[data-version="2"] .head [data-state="rejected"]');
    await expect(page.textContent('[data-testid="timeline"] li[data-version="2"] .transitions')).resolves.toContain('too terse for <new> hires');
    expect((await store.getVersion(review, 2))?.state).toBe('rejected');

    // No candidate is pending any more: the lane's validator refuses, and its one line comes back.
    const refused = await page.evaluate(async (path) => {
      const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version: 2, action: 'approve' }) });
      return { status: res.status, body: (await res.json()) as { error: string } };
    }, `/api/skills/${encodeURIComponent(formatSkillRef(review))}/decide`);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/no pending candidate/);
    await page.screenshot({ path: join(SHOTS, 'rejected.png'), fullPage: true });
  });

  it('shows a refusal from the page itself', async () => {
    // The evil skill's candidate is pending; reject it from another tab first, then click approve on the stale page.
    await open(`#/skill/${encodeURIComponent(formatSkillRef(evil))}`);
    await store.setVersionState(evil, 2, 'rejected', { decidedBy: 'someone', reason: 'elsewhere', expectedFrom: 'candidate' });
    await env.client.workflow.getHandle(workflowIdForSkill(evil)).signal(verdictRecordedSignal, { version: 2, outcome: 'passed' });
    await page.click('[data-testid="approve"]');
    const message = page.locator('[data-testid="decision-message"].error');
    await message.waitFor();
    expect(await message.textContent()).toMatch(/rejected/);
    await page.screenshot({ path: join(SHOTS, 'refused.png'), fullPage: true });
  });

  it('runs nothing from a skill body, description or reason, and shows them as text', async () => {
    const hash = `#/skill/${encodeURIComponent(formatSkillRef(evil))}/diff/1/2`;
    await open(hash);
    await page.waitForSelector('[data-testid="diff"] pre');
    const diffText = (await page.textContent('[data-testid="diff"] pre'))!;
    expect(diffText).toContain('<script>window.__pwned=1</script>');
    expect(diffText).toContain('<img src=x onerror="window.__pwned=1">');
    expect(diffText).toContain('<b onmouseover="window.__pwned=1">bold</b>');
    await expect(page.textContent('main')).resolves.toContain('<img src=x onerror="window.__pwned=1">');
    expect(await page.locator('main img, main script, main b').count()).toBe(0);
    await page.hover('[data-testid="diff"] pre');
    await open('#/');
    await expect(page.textContent(`tr[data-skill="${formatSkillRef(evil)}"]`)).resolves.toContain('<script>window.__pwned=1</script> the user said');
    expect(await page.locator('main img, main script').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
    await page.screenshot({ path: join(SHOTS, 'escaped.png'), fullPage: true });
  });

  it('skillopt report --html writes one page: its chart drawn, nothing loaded from anywhere, people\'s text shown as text', async () => {
    // A decision whose reason holds markup (a candidate published with it): the report lists every decision's reason.
    await store.publishVersion({ ...evil, body: EVIL_BODY, description: 'again', contributors: ['eve'], createdBy: 'eve', baseVersion: 1, state: 'candidate', reason: '<img src=x onerror="window.__pwned=1"> not this one' });
    const sb = await makeSandbox({ SKILLOPT_HOME: dir });
    const file = join(SHOTS, 'report.html');
    try {
      const wrote = await run(sb, ['report', '--html', file]);
      expect(wrote.stdout).toBe(`wrote ${file} (3 skill(s); one self-contained page, open it in a browser)\n`);
    } finally {
      await sb.cleanup();
    }
    // Inline only: no src or href that the browser would fetch.
    expect(readFileSync(file, 'utf8')).not.toMatch(/<(?:script|link|img)[^>]+(?:src|href)=/i);
    const reportPage = await browser.newPage({ viewport: { width: 1000, height: 1400 } });
    const fetched: string[] = [];
    reportPage.on('request', (request) => {
      if (!request.url().startsWith('file://')) fetched.push(request.url());
    });
    try {
      await reportPage.goto(pathToFileURL(file).href);
      await reportPage.waitForSelector('section canvas');
      const deploySection = reportPage.locator('section', { hasText: formatSkillRef(deploy) });
      const box = await deploySection.locator('canvas').first().boundingBox();
      expect(box!.width).toBeGreaterThan(100);
      expect(box!.height).toBeGreaterThan(100);
      await expect(deploySection.locator('td', { hasText: /^v2$/ }).count()).resolves.toBe(1);
      const evilSection = reportPage.locator('section', { hasText: formatSkillRef(evil) });
      await expect(evilSection.textContent()).resolves.toContain('<img src=x onerror="window.__pwned=1"> not this one');
      expect(await reportPage.locator('section img').count()).toBe(0);
      expect(await reportPage.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      await reportPage.screenshot({ path: join(SHOTS, 'report.png'), fullPage: true });
    } finally {
      await reportPage.close();
    }
    expect(fetched).toEqual([]);
  });
});
