// Limits and defaults shared by every part. One place, so the hook, the
// workflow and the store agree on them.

/** Reactions judged per skill invocation (seed: DEFAULT_JUDGE_WINDOW). */
export const DEFAULT_JUDGE_WINDOW = 3;
/** An invocation's window with no reaction for this long closes (the hooks' hint expires with it). */
export const DEFAULT_IDLE_TIMEOUT_MS = 60 * 60 * 1000;
/** After a SessionEnd a resume can undo, an invocation's window stays open this long for one. */
export const DEFAULT_RESUME_GRACE_MS = 10 * 60 * 1000;
/**
 * How long a judgment routed to a machine's own queue waits for that machine's
 * worker (it comes back with the machine's next hook event): a day, so a laptop
 * closed overnight loses nothing. Set per invocation by SKILLOPT_OFFLINE_JUDGE_HOURS.
 */
export const DEFAULT_ROUTED_SCHEDULE_TO_START_MS = 24 * 60 * 60 * 1000;
/** The most SKILLOPT_OFFLINE_JUDGE_HOURS may ask for: an invocation workflow open longer is forgotten more than waited for. */
export const MAX_ROUTED_SCHEDULE_TO_START_MS = 7 * 24 * 60 * 60 * 1000;
/**
 * How long a proposal waits for each failing machine in turn: short, since the
 * lane is serialized; when none answers, the batch waits for the next report.
 */
export const DEFAULT_PROPOSE_SCHEDULE_TO_START_MS = 2 * 60 * 1000;
/** Edits applied per proposal: the textual learning-rate budget. */
export const DEFAULT_EDIT_BUDGET = 3;
/** Failure reasons given to one proposal. */
export const MAX_FAILURES_PER_PROPOSAL = 8;
/** Prior-edit summaries shown to the proposer. */
export const MAX_PRIOR_EDIT_SUMMARIES = 12;
/** A judge's reason is cut to this many characters. */
export const MAX_VERDICT_REASON_CHARS = 240;
/** Reaction text carried in a signal (bytes of UTF-8). */
export const MAX_REACTION_BYTES = 8 * 1024;
/** Characters of transcript shown to the judge. */
export const MAX_WINDOW_CHARS = 4000;
/** Largest SKILL.md body the store accepts (bytes of UTF-8): published skills have 74 KB ones. */
export const MAX_SKILL_BODY_BYTES = 256 * 1024;
/** Largest description (characters) the store keeps; over 1,024 (the format's advice) a push warns and publishes. */
export const MAX_DESCRIPTION_CHARS = 8 * 1024;
/** Largest SKILL.md frontmatter (bytes of UTF-8). */
export const MAX_FRONTMATTER_BYTES = 64 * 1024;
/** Text turns of transcript shown before a skill invocation. */
export const WINDOW_TURNS_BEFORE = 3;
/** Text turns of transcript shown from a skill invocation on. */
export const WINDOW_TURNS_AFTER = 6;
/** Characters of a tool call's input shown to the judge. */
export const MAX_TOOL_INPUT_CHARS = 200;
/** Characters of each quoted part of an edit summary. */
export const MAX_SUMMARY_QUOTE_CHARS = 80;
/** Who the optimizer publishes as (created_by, contributors): push tells its versions apart by it. */
export const OPTIMIZER_NAME = 'skillopt';
/**
 * A page of a store read sent through Temporal (skills with their bodies) is
 * at most this much JSON: the server warns at 512 KiB and refuses at 2 MiB, and
 * a read workflow's history holds each page twice (activity result, workflow result).
 */
export const MAX_READ_PAGE_BYTES = 384 * 1024;
