// Each agent's transcript format (agents/<name>/transcript.ts), by name, and
// the list the judge reads transcripts with: Claude Code's last, since it reads
// whatever line no other format recognizes.
import { claudeTranscript } from './claude/transcript';
import { codexTranscript } from './codex/transcript';
import { geminiTranscript } from './gemini/transcript';
import { copilotTranscript } from './copilot/transcript';
import { openCodeSessions, openCodeTranscript } from './opencode/transcript';
import { piTranscript } from './pi/transcript';
import type { AgentName } from './registry';
import type { TranscriptDatabase, TranscriptFormat } from '../core/transcript';

export const AGENT_TRANSCRIPTS: Record<AgentName, TranscriptFormat> = { claude: claudeTranscript, codex: codexTranscript, pi: piTranscript, gemini: geminiTranscript, copilot: copilotTranscript, opencode: openCodeTranscript };

export const TRANSCRIPT_FORMATS: readonly TranscriptFormat[] = [
  ...Object.values(AGENT_TRANSCRIPTS).filter((format, i, all) => format !== claudeTranscript && all.indexOf(format) === i),
  claudeTranscript,
];

/** The agents whose sessions are rows of a database file rather than JSONL (OpenCode's opencode.db). */
export const TRANSCRIPT_DATABASES: readonly TranscriptDatabase[] = [openCodeSessions];
