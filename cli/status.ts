// `skillopt status [ref]`: what the skill workflows are doing, from Temporal
// (the same data the Web UI shows): every skill's workflow with its search
// attributes, or one skill's live `state` query.
import type { Command } from 'commander';
import { formatSkillRef, parseSkillRef, workflowIdForSkill } from '../core/skill-ref';
import type { SkillWorkflowState } from '../workflows/definitions';
import type { CliContext, RegisterCommands } from './context';
import { CliError } from './context';
import { formatTable } from './table';

const CONNECT_TIMEOUT_MS = 5_000;

/** Connects with the standard Temporal settings (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, … or a temporal.toml profile). */
async function connect(ctx: CliContext) {
  // Loaded on demand: only `status` needs the Temporal client.
  const { temporalClient, temporalSettings } = await import('../local/temporal');
  const { address } = temporalSettings(ctx.env);
  try {
    const client = await temporalClient(ctx.env, { connectTimeout: CONNECT_TIMEOUT_MS });
    return { client, connection: client.connection, address };
  } catch (err) {
    throw new CliError(`cannot reach Temporal at ${address} (${(err as Error).message.split('\n')[0]}): start it with \`npm start\` or set TEMPORAL_ADDRESS`);
  }
}

interface SkillRow {
  ref: string;
  workflowId: string;
  status: string;
  version: number | null;
  lastVerdict: string | null;
  improvements: number | null;
  started: string;
}

async function listSkills(ctx: CliContext, flags: { json?: boolean }): Promise<void> {
  const { client, connection } = await connect(ctx);
  const { SearchAttributes } = await import('../workflows/definitions');
  try {
    const newest = new Map<string, SkillRow>();
    // Each workflow id may have several runs (continue-as-new, idle completion); show the newest.
    for await (const wf of client.workflow.list({ query: 'SkillRef is not null' })) {
      const seen = newest.get(wf.workflowId);
      if (seen && seen.started >= wf.startTime.toISOString()) continue;
      const attrs = wf.typedSearchAttributes;
      newest.set(wf.workflowId, {
        ref: attrs.get(SearchAttributes.skillRef) ?? wf.workflowId.replace(/^skill:/, ''),
        workflowId: wf.workflowId,
        status: wf.status.name,
        version: attrs.get(SearchAttributes.skillVersion) ?? null,
        lastVerdict: attrs.get(SearchAttributes.lastVerdict) ?? null,
        improvements: attrs.get(SearchAttributes.improvementsPublished) ?? null,
        started: wf.startTime.toISOString(),
      });
    }
    const rows = [...newest.values()].sort((a, b) => a.ref.localeCompare(b.ref));
    if (flags.json) return ctx.printJson(rows);
    if (rows.length === 0) return ctx.print('no skill workflows yet: they start at the first invocation of a shared skill');
    ctx.print(
      formatTable(
        ['SKILL', 'WORKFLOW', 'VERSION', 'LAST VERDICT', 'IMPROVEMENTS'],
        rows.map((r) => [r.ref, r.status.toLowerCase(), String(r.version ?? '-'), r.lastVerdict ?? '-', String(r.improvements ?? 0)]),
        { alignRight: [2, 4] },
      ),
    );
  } finally {
    await connection.close();
  }
}

async function showSkill(ctx: CliContext, refText: string, flags: { json?: boolean }): Promise<void> {
  const ref = parseSkillRef(refText);
  const { client, connection } = await connect(ctx);
  try {
    const handle = client.workflow.getHandle(workflowIdForSkill(ref));
    let description;
    try {
      description = await handle.describe();
    } catch {
      throw new CliError(`no workflow for ${formatSkillRef(ref)} yet: it starts at the skill's first invocation`);
    }
    if (description.status.name !== 'RUNNING') {
      const message = `${formatSkillRef(ref)}: no run in progress (the last one is ${description.status.name.toLowerCase()}); the next event starts one`;
      return flags.json ? ctx.printJson({ ref: formatSkillRef(ref), status: description.status.name }) : ctx.print(message);
    }
    const state = await handle.query<SkillWorkflowState>('state');
    if (flags.json) return ctx.printJson({ status: description.status.name, ...state });
    const c = state.counters;
    ctx.print(`${formatSkillRef(ref)}  version ${state.currentVersion ?? '-'}  run ${state.runs}  (${description.historyLength} history events)`);
    ctx.print(`  judged ${c.judged}: ${c.passed} passed, ${c.failed} failed, ${c.judgeErrors} not judged`);
    ctx.print(`  improvements published ${c.improvementsPublished}; proposals without change ${c.proposalsWithoutChange}, already tried ${c.duplicateProposals}, publish conflicts ${c.publishConflicts}`);
    ctx.print(`  now: ${state.judging} judging, ${state.queued} queued, ${state.batchedFailures} failures batched${state.improving ? ', improving' : ''}`);
    if (state.awaitingOutcome.length > 0) ctx.print(`  edits awaiting a verdict: v${state.awaitingOutcome.join(', v')}`);
    if (state.openWindows.length === 0) ctx.print('  no open judgment windows');
    for (const w of state.openWindows) ctx.print(`  window: session ${w.sessionId}, ${w.remaining} reaction(s) left, v${w.skillVersion ?? '?'} in context`);
  } finally {
    await connection.close();
  }
}

export const registerStatus: RegisterCommands = (program: Command, ctx: CliContext) => {
  program
    .command('status')
    .description("what the skill workflows are doing (from Temporal): every skill, or one skill's open windows, queue and counters")
    .argument('[ref]', 'a shared skill, <name>--<author>')
    .option('--json', 'machine-readable output')
    .action(async (ref: string | undefined, flags: { json?: boolean }) => {
      if (ref === undefined) await listSkills(ctx, flags);
      else await showSkill(ctx, ref, flags);
    });
};
