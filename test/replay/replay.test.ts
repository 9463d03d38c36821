// Replays every recorded history against today's workflow code. A change that
// alters the commands a running workflow would issue, without patched(), fails here.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { HISTORIES_DIR } from '../helpers/histories';
import { workflowBundle } from '../helpers/temporal';

const files = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json')).sort();

describe('recorded histories replay on the current workflow code', () => {
  it('has recorded histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
  });

  it.each(files)('%s', async (file) => {
    const { workflowId, history } = JSON.parse(readFileSync(join(HISTORIES_DIR, file), 'utf8')) as { workflowId: string; history: unknown };
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, workflowId);
  });
});
