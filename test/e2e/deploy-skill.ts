// The skill and the scripted model the end-to-end tests share: a deploy
// checklist whose test step gets skipped, the judge's and proposer's canned
// answers, and the agent's replies to the prompts the tests type.
import { match, type Rule } from '../fixtures/anthropic-server';

export const SKILL_NAME = 'deploy-checklist';
export const SKILL = 'deploy-checklist--alice';
/** The reference SKILL.md sends the model to, and a script beside it: the skill is a folder. */
export const ROLLBACK_PATH = 'references/rollback.md';
export const ROLLBACK = '# Rollback\n\n1. Redeploy the previous release tag.\n';
export const SMOKE_SCRIPT = '#!/bin/sh\ncurl -fsS http://localhost:8080/health\n';
export const TESTS_LINE = '1. Run the full test suite and make sure it passes.';
export const BETTER_TESTS_LINE = '1. Run the full test suite (`npm test`) and paste its summary line; never deploy without a green run.';
/** The proposer's second edit, on a version that already has BETTER_TESTS_LINE. */
export const BEST_TESTS_LINE = '1. Run the full test suite (`npm test`) first, paste its summary line, and stop at any failure; never deploy without a green run.';
export const BODY = `# Deploy checklist\n\n${TESTS_LINE}\n2. Build the release artifact.\n3. Deploy to staging, smoke-test, then deploy to production.\n\nIf a deploy fails, follow ${ROLLBACK_PATH}.\n`;
export const FAILURE_REASON = 'The assistant deployed without running the test suite; the user had to point it out.';
/** Said only by the agent, in the session: it is in the transcript and nowhere else. */
export const AGENT_ONLY_TEXT = "I'll follow the deploy checklist.";
export const WRONG = 'that was wrong, you skipped the tests';
export const PLEASED = 'great, thanks';

/**
 * The judge fails a reaction that says the tests were skipped and passes any
 * other; the proposer strengthens the test step; the pre-publish check lets
 * every edit go on (a test about the check puts its own rule first).
 */
export function deployRules(extra: Rule[] = []): Rule[] {
  return [
    {
      // skillopt's pre-publish check (core/prompts.ts precheckPrompt): ahead of the judge, whose system prompt begins the same.
      name: 'check',
      match: match.systemIncludes('checking an edit to a skill'),
      reply: { text: JSON.stringify({ addressed: 1, worse: 0, reason: 'The edit makes the test run verifiable and keeps the rest.' }) },
    },
    {
      // skillopt's judge (agents/claude/backend.ts, core/prompts.ts).
      name: 'judge',
      match: match.systemIncludes('strict engineering reviewer'),
      reply: (req) => ({
        text: req.lastUserText.includes('you skipped the tests')
          ? JSON.stringify({ success: 0, confidence: 0.9, reason: FAILURE_REASON })
          : JSON.stringify({ success: 1, confidence: 0.8, reason: 'The deploy followed the checklist and the user confirmed it.' }),
      }),
    },
    {
      // skillopt's proposer: strengthens the test step of whichever version it is shown.
      name: 'proposer',
      match: match.systemIncludes('JSON array'),
      reply: (req) => {
        // The document it is shown (earlier edits may be listed after it, under ALREADY TRIED).
        const current = req.lastUserText.split('CONFIRMED FAILURES')[0] ?? '';
        const [target, content] = current.includes(TESTS_LINE) ? [TESTS_LINE, BETTER_TESTS_LINE] : [BETTER_TESTS_LINE, BEST_TESTS_LINE];
        return {
          text: ['The checklist never makes the test run verifiable, so it was skipped.', '```json', JSON.stringify([{ op: 'replace', target, content }]), '```'].join('\n'),
        };
      },
    },
    {
      name: 'call-skill',
      match: match.all(match.prompt('deploy the service'), match.noToolResult),
      reply: { text: AGENT_ONLY_TEXT, toolUse: { name: 'Skill', input: { skill: SKILL } } },
    },
    ...extra,
    { name: 'after-skill', match: match.toolResult, reply: { text: 'Deployed.' } },
    { name: 'apologize', match: match.prompt(WRONG), reply: { text: 'Sorry: running the tests now.' } },
    { name: 'welcome', match: match.prompt(PLEASED), reply: { text: "You're welcome." } },
    { name: 'hello', match: match.prompt('hello'), reply: { text: 'Hi.' } },
  ];
}
