// `skillopt report [<ref>] [--since 30d] [--json]`: per skill and version, how
// it went (sessions with it in context, judged invocations, success rate with a
// 95% Wilson interval, distinct users), the canary on trial, every state change
// with who decided and why, and the edits. The data is core/skill-reports.ts's
// SkillReport, built by team/skill-report.ts next to the store (here, or on the
// central worker for a teammate), so every machine prints the same. `--html FILE` renders these same SkillReports as one
// self-contained page (dashboard/report-html.ts).
import { versionStateLabel } from '../core/rollout-types';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { atomicWriteFile } from '../local/fs';
import type { CanaryReading, DecisionReport, EditReport, SkillReport, VersionReport } from '../core/skill-reports';
import { formatSkillRef, parseSkillRef } from '../core/skill-ref';
import { oneLine } from '../core/text';
import { precheckLine } from '../core/precheck';
import { parseSince } from './args';
import type { CliContext, RegisterCommands } from './context';
import { CliError } from './context';
import { formatTable } from './table';

const DEFAULT_SINCE = '30d';

/** `skillopt report --json`. */
export interface ReportJson {
  /** Where the counts start (ISO-8601 UTC). */
  since: string;
  /** One per skill, by name then author. */
  skills: SkillReport[];
}

const percent = (x: number): string => `${Math.round(x * 100)}%`;

function versionRow(v: VersionReport): string[] {
  return [
    `v${v.version}`,
    versionStateLabel(v),
    String(v.sessions),
    String(v.judged),
    String(v.passed),
    v.successRate === null ? '-' : percent(v.successRate),
    v.interval === null ? '-' : `${Math.round(v.interval.low * 100)}–${percent(v.interval.high)}`,
    String(v.users),
    `${v.createdAt} by ${v.createdBy}`,
    v.precheck ? precheckLine(v.precheck) : '-',
  ];
}

function canaryLine(c: CanaryReading): string {
  const judged = (e: { passed: number; failed: number }) => e.passed + e.failed;
  const candidate = `candidate v${c.candidate.version} ${c.candidate.passed}/${judged(c.candidate)} passed`;
  const rule = `decided at ${c.minJudged} judged invocations of each (or the period's end), P ≥ ${c.threshold} promotes or reverts`;
  if (!c.stable || c.probability === null) return `canary now: ${candidate}, no stable version to compare with; ${rule}`;
  return `canary now: ${candidate} vs stable v${c.stable.version} ${c.stable.passed}/${judged(c.stable)} (stable's from ${c.stable.since}): P(candidate ≥ stable) = ${c.probability.toFixed(2)}; ${rule}`;
}

function decisionLine(d: DecisionReport): string {
  const change = d.from === null ? `v${d.version} published as ${d.to}` : `v${d.version} ${d.from} → ${d.to}`;
  return `${d.at}  ${change} by ${d.decidedBy}: ${oneLine(d.reason)}`;
}

function editLine(e: EditReport): string {
  const resolved = e.resolvedAt ? ` (${e.resolvedAt})` : '';
  return `v${e.version} from v${e.baseVersion}, ${e.status}${resolved}: ${e.summaries.map(oneLine).join('; ') || '(no summary)'}`;
}

const indent = (text: string, by: string): string =>
  text
    .split('\n')
    .map((line) => `${by}${line}`)
    .join('\n');

const omitted = (n: number, what: string): string[] => (n > 0 ? [`    … ${n} older ${what} not shown`] : []);

/** One skill's block of `skillopt report`. */
export function renderSkillReport(r: SkillReport): string {
  const header = [
    r.ref,
    r.stable === null ? 'no stable version' : `stable v${r.stable}`,
    ...(r.candidate === null ? [] : [`candidate v${r.candidate}`]),
    `policy ${r.policy}${r.policySource === 'team default' ? ' (team default)' : ''}`,
    ...(r.precheck ? [`pre-publish check ${r.precheck.on ? 'on' : 'off'}${r.precheck.source === 'team default' ? ' (team default)' : ''}`] : []),
  ].join('  ');
  const table = formatTable(['VERSION', 'STATE', 'SESSIONS', 'JUDGED', 'PASSED', 'RATE', '95% CI', 'USERS', 'PUBLISHED', 'PRE-PUBLISH CHECK'], r.versions.map(versionRow), {
    alignRight: [2, 3, 4, 5, 6, 7],
  });
  return [
    header,
    indent(table, '  '),
    ...(r.versionsOmitted > 0 ? [`  … ${r.versionsOmitted} older versions not shown`] : []),
    ...(r.canary ? [`  ${canaryLine(r.canary)}`] : []),
    r.decisions.length === 0 ? '  decisions: none' : '  decisions, newest first:',
    ...r.decisions.map((d) => `    ${decisionLine(d)}`),
    ...omitted(r.decisionsOmitted, 'decisions'),
    r.edits.length === 0 ? '  edits: none' : '  edits, newest first:',
    ...r.edits.map((e) => `    ${editLine(e)}`),
    ...omitted(r.editsOmitted, 'edits'),
  ].join('\n');
}

/** The whole text output: the period, then one block per skill. */
export function renderReport(since: string, reports: SkillReport[]): string {
  const intro = `counts from ${since}: sessions with the version in context at SessionStart, judged invocations (one per invocation, failed if any verdict failed; not-judged never counts)`;
  return [intro, ...reports.map(renderSkillReport)].join('\n\n');
}

interface ReportFlags {
  since?: string;
  json?: boolean;
  html?: string;
}

async function report(ctx: CliContext, refText: string | undefined, flags: ReportFlags): Promise<void> {
  const ref = refText === undefined ? undefined : parseSkillRef(refText);
  const since = flags.since ?? parseSince(DEFAULT_SINCE);
  const reports = await (await ctx.openBackend()).reports({ ...(ref ? { ref } : {}), since });
  if (ref && reports.length === 0) throw new CliError(`no skill ${formatSkillRef(ref)} in the store; see \`skillopt skills list\``);
  if (flags.json) return ctx.printJson({ since, skills: reports } satisfies ReportJson);
  if (flags.html !== undefined) {
    const { renderReportHtml } = await import('../dashboard/report-html');
    const file = resolve(ctx.cwd, flags.html);
    await atomicWriteFile(file, await renderReportHtml({ since, generatedAt: new Date().toISOString(), skills: reports }));
    return ctx.print(`wrote ${file} (${reports.length} skill(s); one self-contained page, open it in a browser)`);
  }
  if (reports.length === 0) return ctx.print('no skills in the store yet; publish one with `skillopt push <skill-dir>`');
  ctx.print(renderReport(since, reports));
}

export const registerReport: RegisterCommands = (program: Command, ctx: CliContext) => {
  program
    .command('report')
    .description('per skill and version: sessions, judged invocations, success rate with a 95% interval, users; the canary, its decisions and the edits')
    .argument('[ref]', 'one skill, as <name>--<author> (default: every skill)')
    .option('--since <when>', `count from this long ago (30d, 12h, 2w) or from this ISO date (default ${DEFAULT_SINCE})`, (value: string) => parseSince(value))
    .option('--json', 'print {since, skills: [...]} as JSON (core/skill-reports.ts SkillReport per skill)')
    .option('--html <file>', 'write one self-contained page (no network: its chart library is inlined) with a chart of success rate by version over time')
    .action((ref: string | undefined, flags: ReportFlags) => report(ctx, ref, flags));
};
