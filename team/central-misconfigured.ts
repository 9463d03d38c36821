// A teammate's request that failed because the central part is misconfigured,
// not because of this machine's settings: the central worker fails the
// workflow's task (most often on search attributes the namespace lacks, which
// only the worker's log names), so the update is refused as "unexpected
// workflow task failure". Said as such, with where to look: `skillopt doctor`
// on any machine shows the namespace's search attributes.

/** The server's refusal of an update whose workflow task failed (go.temporal.io/server service/history/workflow/update). */
const WORKFLOW_TASK_FAILED = /unexpected workflow task failure/i;
/** A failure that names the cause itself (a workflow's or a start's). */
const BAD_SEARCH_ATTRIBUTES = /BadSearchAttributes|no mapping defined for search attribute|search attribute \S+ is not defined/i;

/** The one line for such a failure, or undefined when `err` is something else. */
export function centralMisconfiguredMessage(err: unknown, where: { namespace: string; address: string }): string | undefined {
  const message = err instanceof Error ? `${err.message} ${err.cause instanceof Error ? err.cause.message : ''}` : String(err);
  const ask = "ask who runs the team's central part to run `skillopt setup` there";
  if (BAD_SEARCH_ATTRIBUTES.test(message)) {
    return `the team's central part is misconfigured: namespace ${where.namespace} at ${where.address} lacks skillopt's search attributes (\`skillopt doctor\` lists them); ${ask}`;
  }
  if (WORKFLOW_TASK_FAILED.test(message)) {
    return `the team's central part is misconfigured: its worker fails the skill's workflow task in namespace ${where.namespace} at ${where.address}; \`skillopt doctor\` shows what is missing (most often skillopt's search attributes): ${ask}, and see the central worker's log`;
  }
  return undefined;
}
