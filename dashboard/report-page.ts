// The page `skillopt report --html FILE` writes: the reports as JSON in the page
// itself (a <script type="application/json">, never run), rendered here as
// text only (no innerHTML), with a uPlot chart per skill of each version's
// success rate and its 95% interval, placed at the version's publish time.
// Bundled by esbuild (uPlot included) and inlined: the file needs no network.
import { precheckLine } from '../core/precheck';
import { versionStateLabel } from '../core/rollout-types';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { SkillReport, VersionReport } from '../core/skill-reports';

interface ReportPageData {
  since: string;
  generatedAt: string;
  skills: SkillReport[];
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function percent(rate: number | null): string {
  return rate === null ? '–' : `${Math.round(rate * 100)} %`;
}

function versionTable(versions: VersionReport[]): HTMLTableElement {
  const table = el('table');
  const head = table.createTHead().insertRow();
  for (const h of ['version', 'state', 'published', 'sessions', 'judged', 'passed', 'success', '95 % interval', 'users', 'pre-publish check']) head.append(el('th', h));
  const body = table.createTBody();
  for (const v of versions) {
    const row = body.insertRow();
    const interval = v.interval ? `${percent(v.interval.low)}–${percent(v.interval.high)}` : '–';
    const check = v.precheck ? precheckLine(v.precheck) : '–';
    for (const cell of [`v${v.version}`, versionStateLabel(v), `${v.createdAt.slice(0, 10)} by ${v.createdBy}`, v.sessions, v.judged, v.passed, percent(v.successRate), interval, v.users, check]) {
      row.append(el('td', String(cell)));
    }
  }
  return table;
}

/** Success rate by version over time: one point per judged version at its publish time, with its interval as a band. */
function chart(skill: SkillReport, into: HTMLElement): void {
  const judged = skill.versions.filter((v) => v.successRate !== null).sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
  if (judged.length === 0) {
    into.append(el('p', 'No judged invocations in this period: nothing to chart.', 'muted'));
    return;
  }
  const x = judged.map((v) => Date.parse(v.createdAt) / 1000);
  const rate = judged.map((v) => v.successRate! * 100);
  const low = judged.map((v) => v.interval!.low * 100);
  const high = judged.map((v) => v.interval!.high * 100);
  const box = el('div', undefined, 'chart');
  into.append(box);
  new uPlot(
    {
      width: 640,
      height: 220,
      // One version alone would get an axis spanning years: a day either side of it instead.
      scales: { x: { time: true, range: (_u, min, max) => (min === max ? [min - 86_400, max + 86_400] : [min, max]) }, y: { range: [0, 100] } },
      series: [
        {},
        { label: 'success %', stroke: '#2f6fd0', width: 2, points: { size: 7 } },
        { label: '95 % low', stroke: '#9bb8e8', dash: [4, 4] },
        { label: '95 % high', stroke: '#9bb8e8', dash: [4, 4] },
      ],
      bands: [{ series: [3, 2], fill: 'rgba(47,111,208,0.12)' }],
      axes: [{}, { values: (_u, ticks) => ticks.map((t) => `${t} %`) }],
    },
    [x, rate, low, high],
    box,
  );
}

function skillSection(skill: SkillReport): HTMLElement {
  const section = el('section');
  section.append(el('h2', skill.ref));
  const live = [`stable ${skill.stable === null ? '–' : `v${skill.stable}`}`, skill.candidate === null ? 'no candidate' : `candidate v${skill.candidate}`, `policy ${skill.policy} (${skill.policySource})`];
  if (skill.precheck) live.push(`pre-publish check ${skill.precheck.on ? 'on' : 'off'} (${skill.precheck.source})`);
  section.append(el('p', live.join(' · ')));
  chart(skill, section);
  section.append(versionTable(skill.versions));
  if (skill.canary?.probability != null) section.append(el('p', `Canary now: P(candidate ≥ stable) = ${skill.canary.probability.toFixed(2)}`));
  if (skill.decisions.length > 0) {
    section.append(el('h3', 'Decisions'));
    const list = el('ul');
    for (const d of skill.decisions) list.append(el('li', `${d.at.slice(0, 16).replace('T', ' ')} v${d.version} ${d.from ?? 'new'} → ${d.to} by ${d.decidedBy}: ${d.reason}`));
    section.append(list);
  }
  if (skill.edits.length > 0) {
    section.append(el('h3', 'Edits'));
    const list = el('ul');
    for (const e of skill.edits) list.append(el('li', `v${e.baseVersion} → v${e.version} (${e.status}): ${e.summaries.join('; ')}`));
    section.append(list);
  }
  return section;
}

function render(): void {
  const data = JSON.parse(document.getElementById('report-data')!.textContent ?? '{}') as ReportPageData;
  const main = document.getElementById('report')!;
  main.append(el('h1', 'skillopt report'));
  main.append(el('p', `Counts since ${data.since.slice(0, 10)}; written ${data.generatedAt.slice(0, 16).replace('T', ' ')} UTC.`, 'muted'));
  if (data.skills.length === 0) main.append(el('p', 'No skills.'));
  for (const skill of data.skills) main.append(skillSection(skill));
}

render();
