// openAiCompatibleModel against a real HTTP server on 127.0.0.1.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openAiCompatibleModel, openAiModelFromEnv } from '../../agents/openai-http';
import { ModelConfigError, type ModelRequest } from '../../agents/types';
import { failure } from './helpers';

const JUDGE: ModelRequest = { role: 'judge', system: 'Reply with JSON only.', user: 'Did it work?' };
const PROPOSER: ModelRequest = { role: 'proposer', system: 'Output only a JSON array.', user: 'CURRENT SKILL:' };

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

type Handler = (req: Received, res: ServerResponse) => void;

let server: Server;
let baseUrl: string;
let received: Received[];
let handler: Handler;

function reply(content: unknown): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content } }] }));
  };
}

beforeEach(async () => {
  received = [];
  handler = reply('ok');
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
      received.push(entry);
      handler(entry, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('openAiCompatibleModel', () => {
  it('posts a tool-less, temperature-0 chat completion per role and returns the message content', async () => {
    handler = reply('  {"success":1}  ');
    const model = openAiCompatibleModel({ baseUrl, apiKey: 'sk-test', judgeModel: 'small-model', proposerModel: 'big-model' });

    await expect(model(JUDGE)).resolves.toBe('{"success":1}');
    await model(PROPOSER);

    expect(received).toHaveLength(2);
    const [judge, proposer] = received;
    expect(judge.method).toBe('POST');
    expect(judge.url).toBe('/v1/chat/completions');
    expect(judge.headers.authorization).toBe('Bearer sk-test');
    expect(judge.headers['content-type']).toBe('application/json');
    expect(judge.body).toEqual({
      model: 'small-model',
      messages: [
        { role: 'system', content: JUDGE.system },
        { role: 'user', content: JUDGE.user },
      ],
      temperature: 0,
      stream: false,
    });
    expect(judge.body).not.toHaveProperty('tools');
    expect(proposer.body.model).toBe('big-model');
  });

  it('sends no Authorization header without a key, and accepts a base URL with a trailing slash', async () => {
    await openAiCompatibleModel({ baseUrl: `${baseUrl}/`, judgeModel: 'm', proposerModel: 'm' })(JUDGE);
    expect(received[0].url).toBe('/v1/chat/completions');
    expect(received[0].headers.authorization).toBeUndefined();
  });

  it('joins content given as text parts', async () => {
    handler = reply([{ type: 'text', text: '[{"op":' }, { type: 'text', text: '"append"}]' }]);
    await expect(openAiCompatibleModel({ baseUrl, judgeModel: 'm', proposerModel: 'm' })(PROPOSER)).resolves.toBe('[{"op":"append"}]');
  });

  describe('failures', () => {
    const model = (): ReturnType<typeof openAiCompatibleModel> => openAiCompatibleModel({ baseUrl, judgeModel: 'm', proposerModel: 'm', timeoutMs: 500 });

    it('reports an HTTP error with the start of the body', async () => {
      handler = (_req, res) => {
        res.writeHead(429, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'Rate limit reached\nretry later', detail: 'y'.repeat(400) } }));
      };
      const message = await failure(model()(JUDGE));
      expect(message).toMatch(/^OpenAI-compatible endpoint returned HTTP 429: \{"error":\{"message":"Rate limit reached\\nretry later"/);
      expect(message.length).toBeLessThan(260);
    });

    it('times out', async () => {
      handler = () => {
        /* never answers */
      };
      const started = Date.now();
      expect(await failure(model()(JUDGE))).toBe('OpenAI-compatible request timed out after 0.5s');
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('times out while the body is still streaming', async () => {
      handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"choices":');
      };
      expect(await failure(model()(JUDGE))).toBe('OpenAI-compatible request timed out after 0.5s');
    });

    it('rejects empty or missing content', async () => {
      handler = reply('   ');
      expect(await failure(model()(JUDGE))).toBe('OpenAI-compatible endpoint returned empty content: misconfigured model?');
      handler = reply(null);
      expect(await failure(model()(JUDGE))).toMatch(/empty content/);
      handler = (_req, res) => res.end('{"choices":[]}');
      expect(await failure(model()(JUDGE))).toMatch(/empty content/);
    });

    it('rejects a body that is not JSON', async () => {
      handler = (_req, res) => res.end('<html>gateway</html>');
      expect(await failure(model()(JUDGE))).toBe('OpenAI-compatible endpoint returned non-JSON (HTTP 200): <html>gateway</html>');
    });

    it('reports a refused connection with its cause', async () => {
      const port = (server.address() as AddressInfo).port;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)); // for afterEach
      const message = await failure(openAiCompatibleModel({ baseUrl: `http://127.0.0.1:${port}/v1`, judgeModel: 'm', proposerModel: 'm' })(JUDGE));
      expect(message).toMatch(/^OpenAI-compatible request to http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions failed: .*ECONNREFUSED/);
    });

    it('stops when the caller cancels', async () => {
      handler = () => {
        /* never answers */
      };
      const controller = new AbortController();
      const call = openAiCompatibleModel({ baseUrl, judgeModel: 'm', proposerModel: 'm' })({ ...JUDGE, signal: controller.signal });
      setTimeout(() => controller.abort(), 100);
      expect(await failure(call)).toBe('OpenAI-compatible request cancelled');
    });

    it('rejects a base URL that is not http(s) at construction', () => {
      expect(() => openAiCompatibleModel({ baseUrl: 'localhost:8000', judgeModel: 'm', proposerModel: 'm' })).toThrow(ModelConfigError);
      expect(() => openAiCompatibleModel({ baseUrl: 'not a url', judgeModel: 'm', proposerModel: 'm' })).toThrow(ModelConfigError);
    });
  });
});

describe('openAiModelFromEnv', () => {
  it('reads the base URL, key, models and timeout', async () => {
    const model = openAiModelFromEnv({
      SKILLOPT_OPENAI_BASE_URL: baseUrl,
      SKILLOPT_OPENAI_API_KEY: 'sk-env',
      SKILLOPT_JUDGE_MODEL: 'j',
      SKILLOPT_PROPOSER_MODEL: 'p',
      SKILLOPT_MODEL_TIMEOUT_MS: '400',
    });
    await model(JUDGE);
    await model(PROPOSER);
    expect(received.map((r) => r.body.model)).toEqual(['j', 'p']);
    expect(received[0].headers.authorization).toBe('Bearer sk-env');
    handler = () => {
      /* never answers */
    };
    expect(await failure(model(JUDGE))).toBe('OpenAI-compatible request timed out after 0.4s');
  });

  it('uses one model for both roles when only one is set', async () => {
    await openAiModelFromEnv({ SKILLOPT_OPENAI_BASE_URL: baseUrl, SKILLOPT_PROPOSER_MODEL: 'only' })(JUDGE);
    await openAiModelFromEnv({ SKILLOPT_OPENAI_BASE_URL: baseUrl, SKILLOPT_JUDGE_MODEL: 'other' })(PROPOSER);
    expect(received.map((r) => r.body.model)).toEqual(['only', 'other']);
  });

  it('names what is missing', () => {
    expect(() => openAiModelFromEnv({ SKILLOPT_JUDGE_MODEL: 'm' })).toThrow(/SKILLOPT_OPENAI_BASE_URL/);
    expect(() => openAiModelFromEnv({ SKILLOPT_OPENAI_BASE_URL: baseUrl, SKILLOPT_JUDGE_MODEL: ' ' })).toThrow(/SKILLOPT_JUDGE_MODEL and\/or SKILLOPT_PROPOSER_MODEL/);
  });
});
