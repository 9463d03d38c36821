// Which Temporal CLI `up` runs: SKILLOPT_TEMPORAL_BIN, then the checkout's
// .tools/bin/temporal, then `temporal` on PATH, then (tests only) the SDK's
// download; and the one line a user sees when there is none.
import { execa } from 'execa';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requireTemporalBinary, resolveTemporalExecutable } from '../../worker/temporal-bin';

let dir: string;
let checkout: string;
let onPath: string;
let chosen: string;

function executable(path: string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, '#!/bin/sh\nexit 0\n');
  chmodSync(path, 0o755);
  return path;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'skillopt-tbin-'));
  checkout = join(dir, 'checkout');
  mkdirSync(checkout);
  onPath = join(dir, 'path-bin');
  chosen = executable(join(dir, 'chosen', 'temporal'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const at = (path: string) => ({ type: 'existing-path', path });

describe('resolveTemporalExecutable', () => {
  it('takes SKILLOPT_TEMPORAL_BIN first, then .tools/bin, then PATH, then the download', () => {
    const built = executable(join(checkout, '.tools', 'bin', 'temporal'));
    const path = executable(join(onPath, 'temporal'));
    const env = { SKILLOPT_TEMPORAL_BIN: chosen, PATH: `/nonexistent:${onPath}` };
    expect(resolveTemporalExecutable(env, checkout)).toEqual(at(chosen));
    expect(resolveTemporalExecutable({ PATH: env.PATH }, checkout)).toEqual(at(built));
    rmSync(built);
    expect(resolveTemporalExecutable({ PATH: env.PATH }, checkout)).toEqual(at(path));
    rmSync(path);
    expect(resolveTemporalExecutable({ PATH: env.PATH }, checkout)).toEqual({ type: 'cached-download' });
  });

  it('skips files on PATH that are not executable', () => {
    mkdirSync(onPath, { recursive: true });
    writeFileSync(join(onPath, 'temporal'), 'not executable');
    expect(resolveTemporalExecutable({ PATH: onPath }, checkout)).toEqual({ type: 'cached-download' });
  });

  it('refuses a SKILLOPT_TEMPORAL_BIN that is not executable instead of silently picking another', () => {
    executable(join(checkout, '.tools', 'bin', 'temporal'));
    expect(() => resolveTemporalExecutable({ SKILLOPT_TEMPORAL_BIN: join(dir, 'missing') }, checkout)).toThrow(
      /^SKILLOPT_TEMPORAL_BIN=.*missing is not an executable file; fix the path or unset it$/,
    );
  });
});

describe('requireTemporalBinary', () => {
  it('returns the resolved path, or says in one line how to get a Temporal CLI', () => {
    expect(requireTemporalBinary({ SKILLOPT_TEMPORAL_BIN: chosen }, checkout)).toBe(chosen);
    expect(() => requireTemporalBinary({ PATH: '' }, checkout)).toThrow(
      /^no Temporal CLI found: run `npm run setup:temporal` \(needs Go\), put `temporal` on PATH, or set SKILLOPT_TEMPORAL_BIN$/,
    );
  });

  it('reaches the user of `skillopt up` as one line and exit 1', async () => {
    const home = join(dir, 'home');
    const bin = join(import.meta.dirname, '..', '..', 'bin', 'skillopt.js');
    const r = await execa(process.execPath, [bin, 'up', '--home', home, '--temporal-port', '1', '--ui-port', '2'], {
      env: { ...process.env, SKILLOPT_HOME: home, SKILLOPT_DATABASE_URL: '', SKILLOPT_TEMPORAL_BIN: join(dir, 'missing') },
      reject: false,
    });
    expect(r.exitCode).toBe(1);
    expect(r.stderr.trim()).toMatch(/^skillopt: SKILLOPT_TEMPORAL_BIN=.*missing is not an executable file; fix the path or unset it$/);
  });
});
