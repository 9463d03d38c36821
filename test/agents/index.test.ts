// modelFromEnv: choosing the backend from SKILLOPT_MODEL_BACKEND.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { modelBackendFromEnv, modelFromEnv } from '../../agents/model-backend';
import { ModelConfigError, type ModelRequest } from '../../agents/types';
import { createFakeClaude } from '../fixtures/fake-claude';

const JUDGE: ModelRequest = { role: 'judge', system: 'Reply with JSON only.', user: 'Did it work?' };

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe('modelFromEnv', () => {
  it('defaults to the claude CLI', async () => {
    expect(modelBackendFromEnv({})).toBe('claude');
    expect(modelBackendFromEnv({ SKILLOPT_MODEL_BACKEND: '' })).toBe('claude');
    const fake = createFakeClaude({ judge: ['from fake claude'] });
    cleanups.push(() => fake.cleanup());
    await expect(modelFromEnv({ ...process.env, ...fake.env, SKILLOPT_JUDGE_MODEL: 'my-judge' })(JUDGE)).resolves.toBe('from fake claude');
    expect(fake.calls()[0].model).toBe('my-judge');
  });

  it('selects the OpenAI-compatible backend', async () => {
    const server: Server = createServer((_req, res) => {
      res.end(JSON.stringify({ choices: [{ message: { content: 'from http' } }] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const model = modelFromEnv({
      SKILLOPT_MODEL_BACKEND: 'OpenAI',
      SKILLOPT_OPENAI_BASE_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
      SKILLOPT_JUDGE_MODEL: 'm',
    });
    await expect(model(JUDGE)).resolves.toBe('from http');
  });

  it('rejects an unknown backend with one line naming the valid values', () => {
    expect(() => modelFromEnv({ SKILLOPT_MODEL_BACKEND: 'gpt' })).toThrow(ModelConfigError);
    expect(() => modelFromEnv({ SKILLOPT_MODEL_BACKEND: 'gpt' })).toThrow(
      'SKILLOPT_MODEL_BACKEND="gpt" is not a model backend; valid values: claude, codex, pi, gemini, copilot, opencode, openai',
    );
  });

  it('surfaces the openai backend’s missing settings at once', () => {
    expect(() => modelFromEnv({ SKILLOPT_MODEL_BACKEND: 'openai' })).toThrow(/SKILLOPT_OPENAI_BASE_URL/);
  });
});
