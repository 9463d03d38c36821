// The worker uses dist/workflow-bundle.js only while it is at least as new as
// every input (a dev checkout edits workflows/ and core/ after a build), and
// `npm run build` writes a bundle the worker then trusts.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { freshWorkflowBundle } from '../../worker/workflow-bundle';
import { workflowCode } from '../../worker/worker';
import { projectRoot } from '../../local/project-root';

let root: string;
const at = (path: string, seconds: number): void => utimesSync(join(root, path), seconds, seconds);

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'skillopt-bundle-'));
  for (const dir of ['dist', 'workflows', 'core', 'activities']) mkdirSync(join(root, dir));
  for (const file of ['workflows/index.ts', 'core/limits.ts', 'activities/types.ts', 'package.json']) {
    writeFileSync(join(root, file), '');
    at(file, 1_000);
  }
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

it('bundles the source when there is no pre-built bundle', () => {
  expect(workflowCode(root)).toEqual({ workflowsPath: join(root, 'workflows', 'index.ts') });
});

it('uses a bundle at least as new as its inputs, and not one older than any of them', () => {
  writeFileSync(join(root, 'dist/workflow-bundle.js'), '');
  at('dist/workflow-bundle.js', 2_000);
  expect(workflowCode(root)).toEqual({ workflowBundle: { codePath: join(root, 'dist', 'workflow-bundle.js') } });
  for (const input of ['workflows/index.ts', 'core/limits.ts', 'activities/types.ts', 'package.json']) {
    at(input, 3_000);
    expect(freshWorkflowBundle(root)).toBeUndefined();
    at(input, 1_000);
  }
  expect(freshWorkflowBundle(root)).toBe(join(root, 'dist', 'workflow-bundle.js'));
});

it('is what `npm run build` leaves behind in this checkout', () => {
  const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: projectRoot(), encoding: 'utf8' });
  expect(build.status, build.stderr).toBe(0);
  const bundle = join(projectRoot(), 'dist', 'workflow-bundle.js');
  expect(statSync(bundle).size).toBeGreaterThan(10_000);
  expect(freshWorkflowBundle(projectRoot())).toBe(bundle);
}, 120_000);
