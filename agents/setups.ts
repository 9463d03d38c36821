// Each agent's install, uninstall and check of skillopt's hooks or extension
// (agents/setup.ts), by name: `skillopt hooks` and `doctor` use this table.
import { claudeSetup } from './claude/setup';
import { codexSetup } from './codex/setup';
import { geminiSetup } from './gemini/setup';
import { copilotSetup } from './copilot/setup';
import { openCodeSetup } from './opencode/setup';
import { piSetup } from './pi/setup';
import type { AgentName } from './registry';
import type { AgentSetup } from './setup';

export const AGENT_SETUPS: Record<AgentName, AgentSetup> = { claude: claudeSetup, codex: codexSetup, pi: piSetup, gemini: geminiSetup, copilot: copilotSetup, opencode: openCodeSetup };
