// A worker process's share of model calls, for the daily-cap test: takes
// `tries` calls from the budget under SKILLOPT_HOME `home` with cap `cap`, as
// fast as it can, and prints how many were granted.
import { dailyModelCalls } from '../../local/model-calls';

const [home, cap, tries] = process.argv.slice(2);
const budget = dailyModelCalls({ home: home!, cap: Number(cap) });
let granted = 0;
// Several at once, as a worker's concurrent activities would.
await Promise.all(
  Array.from({ length: Number(tries) }, async () => {
    if ((await budget.take()).ok) granted++;
  }),
);
process.stdout.write(`${JSON.stringify({ granted })}\n`);
