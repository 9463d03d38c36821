// The folders agent transcripts live in on this machine: the only places the
// judge reads (DESIGN.md "Rules every part keeps"). Anyone who can signal a
// workflow can name a path; the worker reads it only when it resolves into one
// of these.
import { join, resolve } from 'node:path';
import { codexHome } from './agents';
import { expandHome, userHome } from './home';

const given = (value: string | undefined): string | undefined => value?.trim() || undefined;

/** One agent's transcript folder, from the environment of the machine that runs the worker. */
type TranscriptFolder = (env: NodeJS.ProcessEnv, cwd: string) => string;

const AGENT_TRANSCRIPT_FOLDERS: Record<string, TranscriptFolder> = {
  // Claude Code: <CLAUDE_CONFIG_DIR, else ~/.claude>/projects/<project>/<session id>.jsonl
  claude_code: (env, cwd) => resolve(cwd, join(expandHome(given(env.CLAUDE_CONFIG_DIR) ?? join(userHome(env), '.claude'), env), 'projects')),
  // Codex CLI: <CODEX_HOME, else ~/.codex>/sessions/YYYY/MM/DD/rollout-<time>-<session id>.jsonl
  codex: (env, cwd) => join(codexHome(env, userHome(env), cwd), 'sessions'),
};

/** The transcript folders of every agent skillopt supports, absolute. Files in them are read only when named *.jsonl. */
export function agentTranscriptRoots(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string[] {
  return Object.values(AGENT_TRANSCRIPT_FOLDERS).map((folder) => folder(env, cwd));
}
