/// <reference lib="dom" />
// The dashboard page (bundled by esbuild into /assets/app.js). Every text that
// came from a person or a model (bodies, descriptions, reasons, names) is put
// in the DOM as text nodes, never as HTML: there is no innerHTML here.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { precheckLine } from '../core/precheck';
import type {
  ActionsInfo,
  CanaryView,
  DecideResponse,
  DiffResponse,
  ErrorResponse,
  InvocationView,
  LaneView,
  SkillListResponse,
  SkillPageResponse,
  SkillSummary,
  VersionView,
} from './api';

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | ((ev: Event) => void)>;

/** An element with text children; attributes are set one by one (no markup is parsed). */
function h(tag: string, attrs: Attrs = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(key.replace(/^on/, ''), value);
    else if (key === 'href') el.setAttribute('href', safeHref(String(value)));
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
  return el;
}

/** Only our own hash routes and http(s) links (the Temporal UI). */
function safeHref(href: string): string {
  if (href.startsWith('#/')) return href;
  try {
    const url = new URL(href);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : '#/';
  } catch {
    return '#/';
  }
}

const app = document.getElementById('app')!;
const TOKEN_KEY = 'skillopt-dashboard-token';

class ApiError extends Error {}

async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(path, { ...init, headers: { accept: 'application/json', ...(init?.headers ?? {}) } });
  const body = (await res.json().catch(() => ({ error: `HTTP ${res.status}` }))) as T | ErrorResponse;
  if (!res.ok) throw new ApiError((body as ErrorResponse).error ?? `HTTP ${res.status}`);
  return body as T;
}

const skillPath = (ref: string) => `/api/skills/${encodeURIComponent(ref)}`;
const skillHash = (ref: string) => `#/skill/${encodeURIComponent(ref)}`;

function pct(rate: number | null): string {
  return rate === null ? '–' : `${Math.round(rate * 100)} %`;
}

function when(iso: string | null): string {
  if (!iso) return '–';
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z').replace(/Z$/, ' UTC');
}

function stateBadge(state: string, proposedBy?: string): HTMLElement {
  // A proposal reads as one: a candidate no one gets until an owner approves it.
  return h('span', { class: `badge state-${state}`, 'data-state': state }, state === 'candidate' && proposedBy ? `proposal by ${proposedBy}` : state);
}

function verdictBadge(verdict: string): HTMLElement {
  return h('span', { class: `badge verdict-${verdict}` }, verdict);
}

function evidenceText(e: { passed: number; failed: number }): string {
  return `${e.passed}/${e.passed + e.failed} passed`;
}

// ---------------------------------------------------------------- charts

const charts: uPlot[] = [];

function clearCharts(): void {
  while (charts.length) charts.pop()!.destroy();
}

function sparkline(target: HTMLElement, s: SkillSummary): void {
  const xs = s.trend.days.map((d) => d / 1000);
  const chart = new uPlot(
    {
      width: 140,
      height: 36,
      class: 'spark',
      legend: { show: false },
      cursor: { show: false },
      select: { show: false, left: 0, top: 0, width: 0, height: 0 },
      axes: [{ show: false }, { show: false }],
      scales: { x: { time: true }, y: { range: [0, 1] } },
      series: [{}, { stroke: '#2f6fde', width: 1.5, spanGaps: true, points: { size: 3 } }],
    },
    [xs, s.trend.rates],
    target,
  );
  charts.push(chart);
}

const DAY_S = 86_400;
const PALETTE = ['#2f6fde', '#d9622b', '#2e9d5b', '#9b4dca', '#c23b5a', '#7a7a2a'];

/** One day alone gets an empty day either side, so the axis shows dates and the point sits in the middle. */
function padLoneDay(chart: SkillPageResponse['chart']): SkillPageResponse['chart'] {
  if (chart.days.length !== 1) return chart;
  const pad = (values: (number | null)[]) => [null, ...values, null];
  const day = chart.days[0]!;
  return {
    days: [day - DAY_S * 1000, day, day + DAY_S * 1000],
    series: chart.series.map((s) => ({ ...s, rate: pad(s.rate), lo: pad(s.lo), hi: pad(s.hi) })),
  };
}

function versionChart(target: HTMLElement, page: SkillPageResponse): void {
  const { days, series } = padLoneDay(page.chart);
  if (days.length === 0) {
    target.append(h('p', { class: 'muted' }, 'No judged invocations yet: the chart starts with the first verdict.'));
    return;
  }
  const data: (number | null)[][] = [days.map((d) => d / 1000)];
  const opts: uPlot.Series[] = [{}];
  const bands: uPlot.Band[] = [];
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const base = data.length;
    data.push(s.rate, s.hi, s.lo);
    const percent = (v: number | null | undefined) => (v == null ? '–' : `${Math.round(v * 100)} %`);
    // One legend entry per version: its rate with the interval; the interval's own lines stay out of the legend.
    opts.push(
      { label: `v${s.version} (${s.judged} judged)`, stroke: color, width: 2, spanGaps: true, value: (_u, v, _si, i) => (v == null || i == null ? '–' : `${percent(v)} (${percent(s.lo[i])}–${percent(s.hi[i])})`) },
      { label: `v${s.version} 95 % high`, class: 'interval', stroke: color, width: 0.5, dash: [4, 4], spanGaps: true },
      { label: `v${s.version} 95 % low`, class: 'interval', stroke: color, width: 0.5, dash: [4, 4], spanGaps: true },
    );
    bands.push({ series: [base + 1, base + 2], fill: `${color}22` });
  });
  const width = Math.max(320, Math.min(900, target.clientWidth || 720));
  const chart = new uPlot(
    {
      width,
      height: 240,
      series: opts,
      bands,
      scales: { x: { time: true }, y: { range: [0, 1] } },
      // Daily data: ticks on whole days (UTC), labelled by date.
      axes: [
        { incrs: [DAY_S, 2 * DAY_S, 7 * DAY_S, 14 * DAY_S, 28 * DAY_S], values: (_u, ticks) => ticks.map((t) => new Date(t * 1000).toISOString().slice(5, 10)) },
        { values: (_u, ticks) => ticks.map((t) => `${Math.round(t * 100)} %`) },
      ],
    },
    data as uPlot.AlignedData,
    target,
  );
  charts.push(chart);
}

// ---------------------------------------------------------------- the list

function canaryCell(c: CanaryView | null): Child {
  if (!c) return '–';
  return h('span', {}, `v${c.version}: ${evidenceText(c.candidate)}`, h('br'), h('span', { class: 'muted' }, c.stableVersion ? `stable v${c.stableVersion}: ${evidenceText(c.stable)}` : 'no stable version'));
}

async function renderList(): Promise<void> {
  const { skills } = await api<SkillListResponse>('/api/skills');
  clearCharts();
  if (skills.length === 0) {
    app.replaceChildren(h('h1', {}, 'Skills'), h('p', { class: 'muted' }, 'No skills in the store yet: publish one with `skillopt push <skill-dir>`.'));
    return;
  }
  const rows = skills.map((s) => {
    const trend = h('td', { class: 'trend' });
    const tr = h(
      'tr',
      { 'data-skill': s.ref },
      h('td', {}, h('a', { href: skillHash(s.ref), class: 'skill-link' }, s.ref), h('div', { class: 'muted desc' }, s.description)),
      h('td', {}, s.stable ? `v${s.stable.version}` : '–'),
      h('td', {}, s.candidate ? h('span', {}, `v${s.candidate.version} `, stateBadge('candidate', s.candidate.proposedBy)) : '–'),
      h('td', { class: 'num' }, pct(s.successRate), h('div', { class: 'muted' }, `${s.judged30d} judged`)),
      trend,
      h('td', {}, s.lastVerdict ? h('span', {}, verdictBadge(s.lastVerdict.outcome), ' ', h('span', { class: 'reason' }, s.lastVerdict.reason)) : '–'),
      h('td', {}, canaryCell(s.canary)),
      h('td', {}, s.policy),
    );
    return { tr, trend, s };
  });
  app.replaceChildren(
    h('h1', {}, 'Skills'),
    h(
      'table',
      { class: 'skills', 'data-testid': 'skill-list' },
      h('thead', {}, h('tr', {}, ...['Skill', 'Stable', 'Candidate', 'Success (30 d)', 'Trend', 'Last verdict', 'Canary', 'Policy'].map((t) => h('th', {}, t)))),
      h('tbody', {}, ...rows.map((r) => r.tr)),
    ),
  );
  for (const r of rows) sparkline(r.trend, r.s);
}

// ---------------------------------------------------------------- one skill

function timeline(versions: VersionView[]): HTMLElement {
  return h(
    'ol',
    { class: 'timeline', 'data-testid': 'timeline' },
    ...[...versions].reverse().map((v) =>
      h(
        'li',
        { 'data-version': v.version },
        h('div', { class: 'head' }, h('strong', {}, `v${v.version}`), ' ', stateBadge(v.state, v.proposedBy), ' ', h('span', { class: 'muted' }, `by ${v.createdBy}, ${when(v.createdAt)}, ${v.bodyBytes} bytes`)),
        h('div', { class: 'desc' }, v.description),
        v.precheck ? h('div', { class: 'precheck', 'data-decision': v.precheck.decision }, `pre-publish check: ${precheckLine(v.precheck)}`) : null,
        h(
          'ul',
          { class: 'transitions' },
          ...v.transitions.map((t) =>
            h('li', { 'data-to': t.to }, `${t.from ?? 'new'} → ${t.to} by ${t.decidedBy}, ${when(t.at)}`, t.reason ? h('span', { class: 'reason' }, `: ${t.reason}`) : null),
          ),
        ),
      ),
    ),
  );
}

function invocationsTable(invocations: InvocationView[], note?: string): HTMLElement {
  if (invocations.length === 0) return h('p', { class: 'muted' }, note ?? 'No invocations yet.');
  return h(
    'table',
    { class: 'invocations', 'data-testid': 'invocations' },
    h('thead', {}, h('tr', {}, ...['Started', 'User', 'Version', 'Verdict', 'Reason', 'Workflow'].map((t) => h('th', {}, t)))),
    h(
      'tbody',
      {},
      ...invocations.map((i) =>
        h(
          'tr',
          {},
          h('td', {}, when(i.started)),
          h('td', {}, i.user ?? '–'),
          h('td', {}, i.version === null ? '–' : `v${i.version}`),
          h('td', {}, verdictBadge(i.verdict)),
          h('td', { class: 'reason' }, i.reason ?? '–'),
          h('td', {}, h('a', { href: i.link, target: '_blank', rel: 'noopener noreferrer' }, i.status.toLowerCase())),
        ),
      ),
    ),
  );
}

function canaryPanel(page: SkillPageResponse): HTMLElement {
  const c = page.summary.canary;
  const lane: LaneView | null = page.lane;
  const r = lane?.rollout;
  return h(
    'section',
    { class: 'panel', 'data-testid': 'canary' },
    h('h2', {}, 'Canary'),
    c
      ? h(
          'div',
          {},
          h('p', {}, `Candidate v${c.version} since ${when(c.since)}: ${evidenceText(c.candidate)}; `, c.stableVersion ? `stable v${c.stableVersion}: ${evidenceText(c.stable)} (from ${when(c.stable.since)})` : 'no stable version to compare with', `. Wanted: ${c.minJudged} judged each.`),
          r
            ? h(
                'p',
                { 'data-testid': 'reading' },
                h('strong', {}, 'Rule: '),
                r.reading ? `${r.reading.action} (P(candidate ≥ stable) = ${r.reading.probability.toFixed(2)}): ${r.reading.reason}` : 'no reading yet',
                h('br'),
                h('span', { class: 'muted' }, r.awaitingApproval ? 'waiting for a person to approve or reject' : `period ends ${when(r.deadline)}${r.extended ? ' (extended)' : ''}`),
              )
            : h('p', { class: 'muted' }, lane ? `lane ${lane.status.toLowerCase()}${lane.stateError ? `: ${lane.stateError}` : ''}` : page.temporalNote ?? 'no lane is running for this skill'),
        )
      : h('p', { class: 'muted' }, 'No candidate on trial.'),
  );
}

function rolloutPanel(page: SkillPageResponse): HTMLElement {
  const r = page.rollout;
  return h(
    'section',
    { class: 'panel', 'data-testid': 'rollout' },
    h('h2', {}, 'Rollout policy'),
    h('p', {}, h('strong', {}, r.policy), ` (${r.policySource})`),
    h('p', { class: 'muted' }, `canary: ${r.canary.percent} % of users, ${r.canary.minJudged} judged invocations each, at most ${r.canary.maxHours} h per period, threshold ${r.canary.threshold}${r.overridden.length ? `; this skill sets ${r.overridden.join(', ')}` : ''}`),
    r.settingsNote ? h('p', { class: 'warn' }, r.settingsNote) : null,
    r.precheck
      ? h(
          'p',
          { class: 'muted', 'data-testid': 'precheck-setting' },
          r.precheck.on
            ? `pre-publish check: on (${r.precheck.source}): each edit is checked against the failures it came from and up to ${r.precheck.heldOut} held-out passes before anyone gets it`
            : `pre-publish check: off (${r.precheck.source}): edits go to the rollout unchecked`,
        )
      : null,
  );
}

function decisionPanel(page: SkillPageResponse, rerender: () => Promise<void>): HTMLElement | null {
  const candidate = page.summary.candidate;
  if (!candidate) return null;
  const actions: ActionsInfo = page.actions;
  const message = h('p', { class: 'message', role: 'status', 'data-testid': 'decision-message' });
  const reason = h('input', { type: 'text', placeholder: 'reason (for reject)', maxlength: 1000, 'data-testid': 'reject-reason' }) as HTMLInputElement;
  const token = actions.needsToken ? (h('input', { type: 'password', placeholder: 'dashboard token', 'data-testid': 'token', value: sessionStorage.getItem(TOKEN_KEY) ?? '' }) as HTMLInputElement) : null;
  const act = async (action: 'approve' | 'reject') => {
    message.className = 'message';
    message.textContent = action === 'approve' ? 'Approving…' : 'Rejecting…';
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) {
      sessionStorage.setItem(TOKEN_KEY, token.value);
      headers['x-skillopt-token'] = token.value;
    }
    try {
      const body = JSON.stringify({ version: candidate.version, action, ...(reason.value.trim() ? { reason: reason.value.trim() } : {}) });
      const decided = await api<DecideResponse>(`${skillPath(page.summary.ref)}/decide`, { method: 'POST', headers, body });
      await rerender();
      const again = document.querySelector('[data-testid="decision-message"]') ?? document.querySelector('[data-testid="decided"]');
      if (again) again.textContent = `v${decided.version} is ${decided.state}`;
    } catch (err) {
      message.className = 'message error';
      message.textContent = (err as Error).message;
    }
  };
  const buttons = actions.enabled
    ? [
        h('button', { type: 'button', class: 'approve', 'data-testid': 'approve', onclick: () => void act('approve') }, `Approve v${candidate.version}`),
        reason,
        h('button', { type: 'button', class: 'reject', 'data-testid': 'reject', onclick: () => void act('reject') }, `Reject v${candidate.version}`),
      ]
    : [h('p', { class: 'muted' }, actions.note ?? 'actions are off')];
  return h('section', { class: 'panel decide', 'data-testid': 'decide' }, h('h2', {}, `Candidate v${candidate.version}`), token, ...buttons, message);
}

/**
 * The patch's lines with their class: each file's `Index:` and `===` lines are
 * dropped and its `---`/`+++` pair becomes one file header; `binary …` and
 * `mode …` lines (sync/diff.ts) are file notes.
 */
function patchLines(patch: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const all = patch.split('\n');
  for (let i = 0; i < all.length; i++) {
    const l = all[i]!;
    if (l.startsWith('Index: ') || l.startsWith('\\')) continue;
    if (/^=+$/.test(l)) {
      // The file's header pair: its name once.
      const name = (all[i + 2] ?? '').replace(/^\+\+\+ /, '').split('\t')[0]!;
      out.push(['file', name === '/dev/null' ? (all[i + 1] ?? '').replace(/^--- /, '').split('\t')[0]! : name]);
      i += 2;
    } else if (l.startsWith('binary ') || l.startsWith('mode ')) out.push(['file', l]);
    else if (l !== '') out.push([l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : l.startsWith('@@') ? 'hunk' : 'ctx', l]);
  }
  return out;
}

function diffPanel(page: SkillPageResponse, from?: number, to?: number): HTMLElement {
  const numbers = page.versions.map((v) => v.version);
  const pick = (name: string, selected: number | undefined) =>
    h('select', { name, 'data-testid': `diff-${name}` }, ...numbers.map((n) => h('option', { value: n, selected: n === selected }, `v${n}`))) as HTMLSelectElement;
  const a = pick('from', from ?? numbers.at(-2) ?? numbers[0]);
  const b = pick('to', to ?? numbers.at(-1));
  const out = h('div', { class: 'diff', 'data-testid': 'diff' });
  const show = async () => {
    const d = await api<DiffResponse>(`${skillPath(page.summary.ref)}/diff?from=${encodeURIComponent(a.value)}&to=${encodeURIComponent(b.value)}`);
    const files = d.files.map((f) => `${f.path} ${f.kind}${f.binary ? ` (binary, ${f.sizeBefore ?? 0} → ${f.sizeAfter ?? 0} bytes)` : ''}`);
    out.replaceChildren(
      h('p', { class: 'muted' }, `v${d.from} → v${d.to}: ${d.descriptionChanged ? 'description changed' : 'description unchanged'}, ${d.bodyChanged ? 'body changed' : 'body unchanged'}`),
      ...(files.length > 0 ? [h('p', { class: 'muted', 'data-testid': 'diff-files' }, `other files: ${files.join('; ')}`)] : []),
      h('pre', {}, ...patchLines(d.patch).map(([cls, l]) => h('div', { class: cls }, l || ' '))),
    );
  };
  if (from !== undefined && to !== undefined) void show().catch((err: unknown) => out.replaceChildren(h('p', { class: 'error' }, (err as Error).message)));
  return h(
    'section',
    { class: 'panel' },
    h('h2', {}, 'Diff'),
    a,
    ' → ',
    b,
    ' ',
    h('button', { type: 'button', 'data-testid': 'show-diff', onclick: () => (location.hash = `${skillHash(page.summary.ref)}/diff/${a.value}/${b.value}`) }, 'Show diff'),
    out,
  );
}

async function renderSkill(ref: string, diff?: [number, number]): Promise<void> {
  const page = await api<SkillPageResponse>(skillPath(ref));
  clearCharts();
  const s = page.summary;
  const chart = h('div', { class: 'chart', 'data-testid': 'version-chart' });
  app.replaceChildren(
    h('p', {}, h('a', { href: '#/' }, '← all skills')),
    h('h1', { 'data-testid': 'skill-title' }, s.ref),
    h('p', { class: 'desc' }, s.description),
    h('p', {}, `stable ${s.stable ? `v${s.stable.version}` : '–'} · candidate ${s.candidate ? `v${s.candidate.version}` : '–'} · success ${pct(s.successRate)} over 30 days (${s.judged30d} judged)`),
    decisionPanel(page, () => renderSkill(ref, diff)) ?? h('span', { 'data-testid': 'decided' }),
    h('div', { class: 'panels' }, canaryPanel(page), rolloutPanel(page)),
    h('section', { class: 'panel' }, h('h2', {}, 'Success rate by version'), chart, h('p', { class: 'muted' }, 'Running rate of each version since its first judged invocation, with its 95 % interval (Wilson).')),
    diffPanel(page, diff?.[0], diff?.[1]),
    h('section', { class: 'panel' }, h('h2', {}, 'Versions'), timeline(page.versions)),
    h('section', { class: 'panel' }, h('h2', {}, 'Recent invocations'), page.temporalNote ? h('p', { class: 'warn' }, page.temporalNote) : null, invocationsTable(page.invocations)),
  );
  versionChart(chart, page);
}

// ---------------------------------------------------------------- routing

async function route(): Promise<void> {
  const hash = location.hash || '#/';
  const diff = /^#\/skill\/([^/]+)\/diff\/(\d+)\/(\d+)$/.exec(hash);
  const skill = /^#\/skill\/([^/]+)$/.exec(hash);
  try {
    if (diff) await renderSkill(decodeURIComponent(diff[1]!), [Number(diff[2]), Number(diff[3])]);
    else if (skill) await renderSkill(decodeURIComponent(skill[1]!));
    else await renderList();
  } catch (err) {
    clearCharts();
    app.replaceChildren(h('p', {}, h('a', { href: '#/' }, '← all skills')), h('p', { class: 'error', 'data-testid': 'error' }, (err as Error).message));
  }
  document.body.dataset.ready = hash;
}

window.addEventListener('hashchange', () => void route());
void route();
