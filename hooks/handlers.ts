// PreToolUse and UserPromptExpansion (arm), UserPromptSubmit (react) and
// SessionEnd: the hooks on the agent's hot path. Each does a few file
// operations and no network: signals are spooled to the outbox and delivered
// by the flusher process.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFEST_FILE, parseManifest } from '../core/manifest';
import type { Manifest, ManifestEntry } from '../core/manifest';
import { DEFAULT_RESUME_GRACE_MS, MAX_REACTION_BYTES } from '../core/limits';
import { redactSecrets } from '../core/redact';
import type { InvokedSignal, ReactionSignal, SessionEndedSignal, SupersededSignal } from '../core/messages';
import { formatSkillRef, tryParseSkillRef, workflowIdForInvocation, type SkillRef } from '../core/skill-ref';
import { currentUser } from '../local/home';
import type { HookContext } from './context';
import { eventIdFor } from './event-id';
import { closeHint, deleteHint, readHint, reopenHint, writeHint } from './hint';
import type { OutboxWorkflowConfig } from '../local/outbox/event';
import { outboxStalled, writeOutboxEvent } from '../local/outbox/files';
import { judgmentsPending } from '../local/outbox/pending-judgments';
import type { HookPayload } from '../agents/hook-payload';
import { judgmentQueue } from '../local/judgment-queue';
import { ensureFlusher } from './spawn';
import { fileSize } from '../agents/prompt-offset';
import { versionInSession } from './session-skills';
import { AGENTS } from '../agents/registry';
import type { PulledSkills } from '../agents/agent';


/** The first `maxBytes` bytes of `text` as UTF-8, never ending inside a character. */
export function cutUtf8(text: string, maxBytes: number): string {
  // A string of n UTF-16 units is at most 3n bytes: short texts need no encoding.
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Back up over continuation bytes (10xxxxxx) to the start of the cut character.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.toString('utf8', 0, end);
}

/**
 * The reaction as it may enter the workflow history: secrets redacted, then
 * capped. Redaction runs on a generous prefix first, so a 5 MB paste costs
 * little, and before the final cut, so the cut cannot expose part of a secret.
 */
export function reactionText(prompt: string): string {
  return cutUtf8(redactSecrets(prompt.slice(0, MAX_REACTION_BYTES * 4)), MAX_REACTION_BYTES);
}

export function readManifest(home: string): Manifest | undefined {
  try {
    return parseManifest(readFileSync(join(home, MANIFEST_FILE), 'utf8'));
  } catch {
    return undefined;
  }
}

function workflowConfig(ctx: HookContext): OutboxWorkflowConfig {
  const { judgeWindow, idleTimeoutOverrideMs, offlineJudgeMs } = ctx.settings;
  return {
    judgeWindow,
    ...(idleTimeoutOverrideMs === undefined ? {} : { idleTimeoutMs: idleTimeoutOverrideMs }),
    ...(offlineJudgeMs === undefined ? {} : { routedScheduleToStartMs: offlineJudgeMs }),
  };
}

type SpooledSignal =
  | { signal: 'invoked'; payload: InvokedSignal; config: OutboxWorkflowConfig }
  | { signal: 'reaction'; payload: ReactionSignal }
  | { signal: 'superseded'; payload: SupersededSignal }
  | { signal: 'sessionEnded'; payload: SessionEndedSignal };

/** Writes one event for an invocation workflow to the outbox. */
function spool(ctx: HookContext, ref: SkillRef, workflowId: string, now: number, event: SpooledSignal): void {
  writeOutboxEvent(ctx.settings.home, { v: 2, createdAt: new Date(now).toISOString(), ref, workflowId, ...event });
}

async function startFlusher(ctx: HookContext): Promise<void> {
  if (!ctx.settings.spawnFlusher) return;
  // The hook's last work: the flusher may start at the background priority (hooks/spawn.ts).
  await ensureFlusher(ctx.settings.home, ctx.flusherPath(), ctx.settings.backgroundPriority === 'low', (err) => ctx.log.error('could not start the outbox flusher', err));
}

export type ArmResult = 'armed' | 'duplicate' | 'not-skill-tool' | 'not-org-skill' | 'no-session';

/** The session's skills as the agent sees them: pull's manifest read once, and only once a call could be a skill's (Codex runs PreToolUse for every shell command). */
function pulledSkills(payload: HookPayload, ctx: HookContext): PulledSkills {
  let read: { manifest: Manifest | undefined } | undefined;
  return {
    manifest: () => (read ??= { manifest: readManifest(ctx.settings.home) }).manifest,
    place: { home: ctx.settings.userHome, cwd: payload.cwd || process.cwd(), env: ctx.env },
  };
}

/** PreToolUse (pi: a read's result): a call that uses an org skill opens a judgment window. */
export async function onPreToolUse(payload: HookPayload, ctx: HookContext): Promise<ArmResult> {
  const call = AGENTS[ctx.agent].skillCall(payload, pulledSkills(payload, ctx));
  if (typeof call === 'string') return call;
  return arm(payload, ctx, call.ref, call.install, payload.tool_use_id ?? '');
}

/**
 * Opens the session's window on an invocation of `ref` (installed as
 * `install`), named by `toolUseId` (the call's id; Codex's turn id for a
 * `$skill` mention; Claude Code's prompt id for a `/skill` command): spools
 * `invoked`, and `superseded` to the window it replaces. `promptId`, when the
 * prompt itself invoked the skill, keeps that prompt from being its reaction.
 */
async function arm(payload: HookPayload, ctx: HookContext, ref: SkillRef, install: ManifestEntry, toolUseId: string, promptId?: string): Promise<ArmResult> {
  const { settings } = ctx;
  const sessionId = payload.session_id;
  if (!sessionId) return 'no-session';
  const dirName = formatSkillRef(ref);
  const now = ctx.now();
  // skillopt installed in two settings files runs twice per event: the second run is the same event.
  const previous = readHint(settings.home, sessionId);
  if (toolUseId !== '' && previous?.toolUseId === toolUseId) return 'duplicate';
  const eventId = await eventIdFor('invoked', sessionId, toolUseId || undefined);
  // Without a tool_use_id the event id (random then) names the invocation.
  const workflowId = workflowIdForInvocation(ref, sessionId, toolUseId || eventId);
  // Teammate mode: judged on this machine's own queue, where the transcript is.
  const activityQueue = judgmentQueue(settings.home, ctx.env, settings.activityQueue);
  const invoked: InvokedSignal = {
    eventId,
    sessionId,
    toolUseId,
    user: currentUser(ctx.env),
    agent: AGENTS[ctx.agent].id,
    // The version loaded when the session started (its pull only takes effect next session).
    skillVersion: versionInSession(settings.home, sessionId, ref.name, ref.author) ?? install.version,
    transcriptPath: payload.transcript_path ?? '',
    transcriptBytes: fileSize(payload.transcript_path),
    ...(activityQueue ? { activityQueue } : {}),
  };
  // A newer invocation in the session takes over the window: the older one's workflow closes it.
  const previousRef = previous && tryParseSkillRef(previous.ref);
  if (previous && previousRef && previous.endedAt === undefined) {
    spool(ctx, previousRef, previous.workflowId, now, { signal: 'superseded', payload: { eventId: `${eventId}:supersedes`, byToolUseId: toolUseId } });
  }
  spool(ctx, ref, workflowId, now, { signal: 'invoked', payload: invoked, config: workflowConfig(ctx) });
  // A prompt that invoked the skill is not a reaction to it, even when its hook runs again.
  writeHint(settings.home, { v: 2, sessionId, ref: dirName, toolUseId, workflowId, remaining: settings.judgeWindow, armedAt: now, lastActivityAt: now, ...(promptId ? { lastPromptId: promptId } : {}) });
  await startFlusher(ctx);
  return 'armed';
}

/**
 * A prompt that invokes a pulled skill itself: Claude Code's `/<name>--<author>`
 * (UserPromptExpansion, named by the prompt's id: a second run of the hook is the
 * same invocation, and UserPromptSubmit, which runs after it for the same prompt,
 * does not count that prompt as a reaction to it), Codex's `$<name>--<author>`
 * and pi's `/skill:<name>--<author>` (named by the turn or prompt they start).
 */
async function armPromptInvocation(payload: HookPayload, ctx: HookContext): Promise<ArmResult | undefined> {
  const invocation = AGENTS[ctx.agent].promptInvocation(payload, pulledSkills(payload, ctx));
  return invocation ? arm(payload, ctx, invocation.ref, invocation.install, invocation.id, invocation.id || undefined) : undefined;
}

/** UserPromptExpansion (Claude Code): the user typed `/<name>--<author>` (docs/claude-code.md). */
export async function onUserPromptExpansion(payload: HookPayload, ctx: HookContext): Promise<ArmResult> {
  return (await armPromptInvocation(payload, ctx)) ?? 'not-skill-tool';
}

export type ReactResult = 'sent' | 'duplicate' | 'no-window' | 'session-ended' | 'expired' | 'blank';

/**
 * UserPromptSubmit (pi: its `input` event): while a window is open, the prompt
 * is a reaction to the skill's work. A prompt that names a skill (Codex's
 * `$<skill>`, pi's `/skill:<skill>`) then also opens a window of its own
 * (replacing that one).
 */
export async function onUserPromptSubmit(payload: HookPayload, ctx: HookContext): Promise<ReactResult | `${ReactResult}, armed`> {
  const reacted = await reactToPrompt(payload, ctx);
  return (await armPromptInvocation(payload, ctx)) === 'armed' ? `${reacted}, armed` : reacted;
}

async function reactToPrompt(payload: HookPayload, ctx: HookContext): Promise<ReactResult> {
  const { settings } = ctx;
  const sessionId = payload.session_id;
  if (!sessionId) return 'no-window';
  let hint = readHint(settings.home, sessionId);
  // An agent whose SessionStart can lose the race with this hook (Copilot CLI): the prompt itself reopens a resumed session.
  if (hint?.endedAt !== undefined && AGENTS[ctx.agent].promptReopensSession) {
    reopenHint(settings.home, sessionId, ctx.now(), DEFAULT_RESUME_GRACE_MS);
    hint = readHint(settings.home, sessionId);
  }
  if (!hint) {
    // Events left by a flusher that gave up (Temporal was down), or judgments this machine
    // still owes (its flusher was killed, it slept), get a new one at the next prompt of any session.
    if (settings.spawnFlusher && (outboxStalled(settings.home) || judgmentsPending(settings.home))) await startFlusher(ctx);
    return 'no-window';
  }
  // The session ended and was not resumed: nothing is judged after a session ends.
  if (hint.endedAt !== undefined) return 'session-ended';
  const now = ctx.now();
  if (now - hint.lastActivityAt >= settings.idleTimeoutMs) {
    // The workflow has closed this window by now: a reaction would be ignored.
    deleteHint(settings.home, sessionId);
    return 'expired';
  }
  // This prompt's reaction is spooled already (the hook ran twice): spend the budget once.
  // Claude Code names each prompt (prompt_id); Codex names its turn (turn_id).
  const promptId = payload.prompt_id ?? payload.turn_id;
  if (promptId && hint.lastPromptId === promptId) return 'duplicate';
  const prompt = payload.prompt ?? '';
  if (prompt.trim() === '') return 'blank';
  const ref = tryParseSkillRef(hint.ref);
  if (!ref) {
    deleteHint(settings.home, sessionId);
    return 'no-window';
  }

  const reaction: ReactionSignal = {
    eventId: await eventIdFor('reaction', sessionId, promptId),
    sessionId,
    text: reactionText(prompt),
    transcriptPath: payload.transcript_path ?? '',
    // The window ends where this prompt begins (Claude Code may have written it before this hook runs).
    transcriptBytes: AGENTS[ctx.agent].reactionOffset(payload),
  };
  spool(ctx, ref, hint.workflowId, now, { signal: 'reaction', payload: reaction });
  // Spent after spooling: a crash in between sends one reaction too many, never one too few.
  if (hint.remaining - 1 <= 0) deleteHint(settings.home, sessionId);
  else writeHint(settings.home, { ...hint, remaining: hint.remaining - 1, lastActivityAt: now, ...(promptId ? { lastPromptId: promptId } : {}) });
  await startFlusher(ctx);
  return 'sent';
}

/** SessionEnd: the session's window closes with it (until a resume within the grace, see closeHint); its workflow is told. */
export async function onSessionEnd(payload: HookPayload, ctx: HookContext): Promise<void> {
  const sessionId = payload.session_id;
  if (!sessionId) return;
  const hint = readHint(ctx.settings.home, sessionId);
  const ref = hint && tryParseSkillRef(hint.ref);
  const now = ctx.now();
  closeHint(ctx.settings.home, sessionId, payload.reason, now);
  if (!hint || !ref || hint.endedAt !== undefined) return;
  const reason = payload.reason || 'other';
  spool(ctx, ref, hint.workflowId, now, { signal: 'sessionEnded', payload: { eventId: `${sessionId}:${hint.toolUseId}:end:${now}`, reason } });
  await startFlusher(ctx);
}
