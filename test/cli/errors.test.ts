// One-line error messages, including a push that loses a race to a concurrent publisher.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../cli/errors';
import { describeError } from '../../core/describe-error';
import { CliError, UsageError } from '../../cli/context';
import { pushSkill } from '../../sync/push-folder';
import { InvalidSkillRefError } from '../../core/skill-ref';
import { openStore } from '../../store/open-store';
import { StoreUnavailableError, StoreValidationError, VersionConflictError } from '../../store/types';
import type { Store } from '../../store/types';
import type { Sandbox } from './helpers';
import { makeSandbox, skillText, writeSkill } from './helpers';
import { directBackend } from '../../team/direct';

describe('describeError', () => {
  it('maps known errors to one line', () => {
    expect(describeError(new InvalidSkillRefError('bad ref'))).toBe('bad ref');
    expect(describeError(new StoreUnavailableError('cannot reach Postgres\nat 127.0.0.1:1'))).toBe('cannot reach Postgres at 127.0.0.1:1');
    expect(describeError(new StoreValidationError('body is too large'))).toBe('the store refused it: body is too large');
    expect(describeError(new VersionConflictError({ name: 'deploy', author: 'alice' }, 3))).toMatch(
      /^version 3 of deploy--alice was published concurrently; see it with `skillopt skills history`, then push again$/,
    );
    const enoent = Object.assign(new Error("ENOENT: no such file or directory, open '/x/SKILL.md'"), { code: 'ENOENT', path: '/x/SKILL.md' });
    expect(describeError(enoent)).toBe('/x/SKILL.md does not exist');
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED', address: '127.0.0.1', port: 1 });
    expect(describeError(refused)).toMatch(/^cannot connect to 127\.0\.0\.1:1 \(ECONNREFUSED\)/);
    const renamed = Object.assign(new Error('EISDIR: illegal operation on a directory'), { code: 'EISDIR', path: '/x/.SKILL.md.bak.1.tmp', dest: '/x/SKILL.md.bak' });
    expect(describeError(renamed)).toBe('cannot write /x/SKILL.md.bak: a folder is in the way');
    expect(describeError('plain string')).toBe('plain string');
  });

  it('uses exit 2 for usage errors and 1 otherwise', () => {
    expect(exitCodeFor(new UsageError('x'))).toBe(2);
    expect(exitCodeFor(new CliError('x'))).toBe(1);
    expect(exitCodeFor(new Error('x'))).toBe(1);
  });
});

describe('a concurrent publisher', () => {
  let sb: Sandbox;
  let store: Store;
  beforeEach(async () => {
    sb = await makeSandbox();
    store = await openStore({ url: `sqlite:${join(sb.skilloptHome, 'skillopt.db')}` });
  });
  afterEach(async () => {
    await store.close();
    await sb.cleanup();
  });

  it('is reported as a version conflict, and nothing is overwritten', async () => {
    const dir = await writeSkill(join(sb.dir, 'deploy'), skillText('name: deploy', 'v1\n'));
    await pushSkill({ publisher: directBackend(store), skillDir: dir, pusher: 'alice' });
    const v1 = await store.latestVersion({ name: 'deploy', author: 'alice' });
    // Someone publishes v2 between our read of the latest version and our write.
    await store.publishVersion({ name: 'deploy', author: 'alice', body: 'theirs\n', description: '', contributors: ['bob'], createdBy: 'bob', baseVersion: 1 });
    const racing: Store = Object.assign(Object.create(store) as Store, { latestVersion: () => Promise.resolve(v1) });
    await writeSkill(dir, skillText('name: deploy', 'mine\n'));
    const err = await pushSkill({ publisher: directBackend(racing), skillDir: dir, pusher: 'alice' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VersionConflictError);
    expect(describeError(err)).toMatch(/version 2 of deploy--alice was published concurrently/);
    expect((await store.latestVersion({ name: 'deploy', author: 'alice' }))?.body).toBe('theirs\n');
  });
});
