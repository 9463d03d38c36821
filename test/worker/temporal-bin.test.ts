// Which Temporal CLI `up` runs: SKILLOPT_TEMPORAL_BIN, then the checkout's
// .tools/bin/temporal, then `temporal` on PATH, then the SDK's download (into
// the checkout's .tools/download); and the one line a user sees when none works.
import { execa } from 'execa';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { portAcceptsConnections } from '../../worker/dev-server';
import { projectRoot } from '../../local/project-root';
import { downloadFailedMessage, resolveTemporalExecutable, TEMPORAL_DOWNLOAD_TTL } from '../../worker/temporal-bin';
import { SearchAttributes } from '../../workflows/definitions';
import { freePort } from '../helpers/wait';

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
const download = (root: string) => ({ type: 'cached-download', downloadDir: join(root, '.tools', 'download'), ttl: TEMPORAL_DOWNLOAD_TTL });

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
    expect(resolveTemporalExecutable({ PATH: env.PATH }, checkout)).toEqual(download(checkout));
    // The SDK does not create its download folder.
    expect(existsSync(join(checkout, '.tools', 'download'))).toBe(true);
  });

  it('skips files on PATH that are not executable', () => {
    mkdirSync(onPath, { recursive: true });
    writeFileSync(join(onPath, 'temporal'), 'not executable');
    expect(resolveTemporalExecutable({ PATH: onPath }, checkout)).toEqual(download(checkout));
  });

  it('refuses a SKILLOPT_TEMPORAL_BIN that is not executable instead of silently picking another', () => {
    executable(join(checkout, '.tools', 'bin', 'temporal'));
    expect(() => resolveTemporalExecutable({ SKILLOPT_TEMPORAL_BIN: join(dir, 'missing') }, checkout)).toThrow(
      /^SKILLOPT_TEMPORAL_BIN=.*missing is not an executable file; fix the path or unset it$/,
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

const WHAT_TO_DO = 'run `npm run setup:temporal` (needs Go), put `temporal` on PATH, or set SKILLOPT_TEMPORAL_BIN';

describe('downloadFailedMessage', () => {
  it("keeps the SDK's innermost cause and says what to do, in one line", () => {
    // What the SDK 1.24 said on a machine without internet.
    const url = 'https://temporal.download/cli/default?arch=amd64&platform=linux&format=tar.gz&sdk-name=sdk-typescript&sdk-version=1.24.0';
    const err = new Error(
      `Failed to start ephemeral server: failed to download ephemeral server executable: error sending request for url (${url}): ` +
        `error sending request for url (${url}): client error (Connect): dns error: failed to lookup address information: Name or service not known`,
    );
    expect(downloadFailedMessage(err)).toBe(
      `no Temporal CLI found, and the SDK could not download one (dns error: failed to lookup address information: Name or service not known); ${WHAT_TO_DO}`,
    );
  });

  it('tells a downloaded server that did not start from a failed download', () => {
    const err = new Error(
      "Failed to start ephemeral server: ephemeral server at 127.0.0.1:7233 did not start within 5s. Make sure another download isn't stuck and delete the temp file.",
    );
    expect(downloadFailedMessage(err)).toBe(
      `the Temporal dev server the SDK downloaded did not start (ephemeral server at 127.0.0.1:7233 did not start within 5s. Make sure another download isn't stuck and delete the temp file.); ${WHAT_TO_DO}`,
    );
  });
});

describe('`skillopt up` with no Temporal CLI reachable', () => {
  const root = projectRoot();
  const BIN_NAME = join('bin', 'skillopt.js');

  /**
   * A checkout without .tools: bin/ and dist/ copied, so the running code finds
   * this folder as its project root (Node resolves symlinks to their target);
   * the rest linked to the real checkout.
   */
  function bareCheckout(): string {
    for (const entry of readdirSync(root)) {
      if (entry === '.tools' || entry === '.git' || entry === 'bin' || entry === 'dist') continue;
      symlinkSync(join(root, entry), join(checkout, entry));
    }
    cpSync(join(root, 'bin'), join(checkout, 'bin'), { recursive: true });
    cpSync(join(root, 'dist'), join(checkout, 'dist'), { recursive: true });
    return checkout;
  }

  /**
   * No SKILLOPT_TEMPORAL_BIN, an empty PATH, and HTTPS through a proxy port that
   * refuses: the download fails at once, with or without internet (the local
   * server is reached directly).
   */
  async function bareEnv(home: string): Promise<NodeJS.ProcessEnv> {
    const env: NodeJS.ProcessEnv = { ...process.env, SKILLOPT_HOME: home, SKILLOPT_DATABASE_URL: '', PATH: join(dir, 'empty-path') };
    for (const key of ['SKILLOPT_TEMPORAL_BIN', 'ALL_PROXY', 'all_proxy', 'grpc_proxy', 'no_grpc_proxy']) delete env[key];
    const refusing = `http://127.0.0.1:${await freePort()}`;
    return { ...env, HTTPS_PROXY: refusing, https_proxy: refusing, NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost' };
  }

  it('tries the SDK download and, when it fails, exits 1 with one line saying how to get a Temporal CLI', async () => {
    const at = bareCheckout();
    const home = join(dir, 'home');
    const started = Date.now();
    const r = await execa(
      process.execPath,
      [join(at, BIN_NAME), 'up', '--home', home, '--temporal-port', String(await freePort()), '--ui-port', String(await freePort()), '--dashboard-port', String(await freePort())],
      { env: await bareEnv(home), reject: false, timeout: 60_000 },
    );
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain(`using the dev server the Temporal SDK downloads (the first time only) into ${join(at, '.tools', 'download')}`);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(
      /^skillopt: no Temporal CLI found, and the SDK could not download one \(.*connect.*\); run `npm run setup:temporal` \(needs Go\), put `temporal` on PATH, or set SKILLOPT_TEMPORAL_BIN$/i,
    );
    expect(existsSync(join(home, 'up.pid'))).toBe(false);
    // Nothing half-downloaded is left for the next run to wait on.
    expect(readdirSync(join(at, '.tools', 'download'))).toEqual([]);
  }, 90_000);

  // The SDK's download, already in its cache (the file name the SDK gives it): the SDK runs it, no network needed.
  const real = resolveTemporalExecutable();
  it.skipIf(real.type !== 'existing-path')(
    "runs the SDK's dev server with the Web UI, search attributes, eager activities and state kept across restarts; stops on SIGTERM",
    async () => {
      const at = bareCheckout();
      const sdkVersion = (JSON.parse(readFileSync(join(root, 'node_modules', '@temporalio', 'testing', 'package.json'), 'utf8')) as { version: string }).version;
      mkdirSync(join(at, '.tools', 'download'), { recursive: true });
      symlinkSync((real as { path: string }).path, join(at, '.tools', 'download', `temporal-sdk-typescript-${sdkVersion}`));
      const home = join(dir, 'home');
      const [temporalPort, uiPort] = [await freePort(), await freePort()];
      const env = await bareEnv(home);
      // Every port its own: test files that start `up` run side by side.
      const args = [join(at, BIN_NAME), 'up', '--home', home, '--temporal-port', String(temporalPort), '--ui-port', String(uiPort), '--dashboard-port', String(await freePort())];

      async function upUntilReady(): Promise<{ stop(): Promise<string> }> {
        const up = execa(process.execPath, args, { env, reject: false, all: true });
        let output = '';
        up.all.on('data', (chunk: Buffer) => (output += chunk.toString()));
        const deadline = Date.now() + 90_000;
        while (!output.includes('Ctrl-C stops everything.')) {
          if (up.exitCode !== null || Date.now() > deadline) {
            up.kill('SIGKILL');
            throw new Error(`up did not come up:\n${output}`);
          }
          await new Promise((r) => setTimeout(r, 100));
        }
        return {
          async stop() {
            up.kill('SIGTERM');
            const result = await up;
            expect(result.exitCode).toBe(0);
            return output;
          },
        };
      }

      const workflowId = `kept-${Date.now()}`;
      let first = await upUntilReady();
      try {
        expect((await fetch(`http://127.0.0.1:${uiPort}/`)).status).toBe(200);
        const connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
        try {
          const client = new Client({ connection });
          const registered = await client.connection.operatorService.listSearchAttributes({ namespace: 'default' });
          for (const key of Object.values(SearchAttributes)) expect(Object.keys(registered.customAttributes)).toContain(key.name);
          // Nobody polls this queue: the run just stays, to be found after a restart.
          await client.workflow.start('neverRuns', { workflowId, taskQueue: `kept-${workflowId}` });
        } finally {
          await connection.close();
        }
        // The server runs with the same database file and dynamic config as a CLI found on disk (seen in /proc, on Linux).
        if (existsSync('/proc/self/cmdline')) {
        const db = join(home, 'temporal.db');
        const cmdlines = readdirSync('/proc')
          .filter((p) => /^\d+$/.test(p))
          .map((p) => {
            try {
              return readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
            } catch {
              return [];
            }
          });
        const server = cmdlines.find((c) => c.includes('start-dev') && c.includes(db));
        expect(server).toContain('system.enableActivityEagerExecution=true');
        }
      } finally {
        const output = await first.stop();
        expect(output).toContain('using the dev server the Temporal SDK downloads');
      }
      expect(existsSync(join(home, 'up.pid'))).toBe(false);
      expect(await portAcceptsConnections('127.0.0.1', temporalPort)).toBe(false);

      first = await upUntilReady();
      try {
        const connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
        try {
          const description = await new Client({ connection }).workflow.getHandle(workflowId).describe();
          expect(description.status.name).toBe('RUNNING');
        } finally {
          await connection.close();
        }
      } finally {
        await first.stop();
      }
    },
    240_000,
  );
});
