// A model backend for any OpenAI-compatible chat completions endpoint (OpenAI,
// vLLM, Ollama, LiteLLM, OpenRouter, ...), for workers that have no agent CLI,
// such as the docker-compose worker. One POST per call, no tools offered,
// temperature 0 so a judge is as repeatable as the endpoint allows.
//
// Environment (see openAiModelFromEnv):
//   SKILLOPT_OPENAI_BASE_URL   e.g. https://api.openai.com/v1 (required)
//   SKILLOPT_OPENAI_API_KEY    sent as a Bearer token when set
//   SKILLOPT_JUDGE_MODEL, SKILLOPT_PROPOSER_MODEL   either one serves both roles if the other is unset
//   SKILLOPT_MODEL_TIMEOUT_MS  default 120000
import { envValue, formatSeconds, oneLine, resolveTimeoutMs } from './config';
import { ModelCallError, ModelConfigError, type ModelCall, type ModelRole } from './types';

export interface OpenAiCompatibleOptions {
  /** The API root that `/chat/completions` is appended to, e.g. `http://127.0.0.1:11434/v1`. */
  baseUrl: string;
  apiKey?: string;
  judgeModel: string;
  proposerModel: string;
  timeoutMs?: number;
}

export function openAiCompatibleModel(options: OpenAiCompatibleOptions): ModelCall {
  let base: URL;
  try {
    base = new URL(options.baseUrl);
  } catch {
    throw new ModelConfigError(`OpenAI-compatible base URL ${JSON.stringify(options.baseUrl)} is not a URL`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new ModelConfigError(`OpenAI-compatible base URL must be http(s), got ${JSON.stringify(options.baseUrl)}`);
  }
  // Append to the path rather than resolve against it, so `/v1` and `/v1/` both keep their `/v1`.
  const endpoint = `${base.href.replace(/\/+$/, '')}/chat/completions`;
  const models: Record<ModelRole, string> = { judge: options.judgeModel, proposer: options.proposerModel };
  const timeoutMs = resolveTimeoutMs(options.timeoutMs, {});
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;

  return async (request) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
    const body = JSON.stringify({
      model: models[request.role],
      messages: [
        { role: 'system', content: request.system },
        { role: 'user', content: request.user },
      ],
      temperature: 0,
      stream: false,
    });

    let status: number;
    let text: string;
    try {
      const response = await fetch(endpoint, { method: 'POST', headers, body, signal });
      status = response.status;
      text = await response.text();
    } catch (error) {
      if (timeout.aborted) throw new ModelCallError(`OpenAI-compatible request timed out after ${formatSeconds(timeoutMs)}`);
      if (request.signal?.aborted) throw new ModelCallError('OpenAI-compatible request cancelled');
      throw new ModelCallError(`OpenAI-compatible request to ${endpoint} failed: ${oneLine(describeFetchError(error))}`);
    }

    if (status < 200 || status >= 300) {
      throw new ModelCallError(`OpenAI-compatible endpoint returned HTTP ${status}: ${oneLine(text)}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ModelCallError(`OpenAI-compatible endpoint returned non-JSON (HTTP ${status}): ${oneLine(text)}`);
    }
    const content = messageContent(parsed);
    if (!content) throw new ModelCallError('OpenAI-compatible endpoint returned empty content: misconfigured model?');
    return content;
  };
}

/** The backend from SKILLOPT_OPENAI_* and the model variables; ModelConfigError when something required is missing. */
export function openAiModelFromEnv(env: NodeJS.ProcessEnv = process.env): ModelCall {
  const baseUrl = envValue(env, 'SKILLOPT_OPENAI_BASE_URL');
  if (!baseUrl) {
    throw new ModelConfigError(
      'SKILLOPT_MODEL_BACKEND=openai needs SKILLOPT_OPENAI_BASE_URL (e.g. https://api.openai.com/v1)',
    );
  }
  const judge = envValue(env, 'SKILLOPT_JUDGE_MODEL');
  const proposer = envValue(env, 'SKILLOPT_PROPOSER_MODEL');
  if (!judge && !proposer) {
    throw new ModelConfigError(
      'SKILLOPT_MODEL_BACKEND=openai needs a model name: set SKILLOPT_JUDGE_MODEL and/or SKILLOPT_PROPOSER_MODEL',
    );
  }
  return openAiCompatibleModel({
    baseUrl,
    apiKey: envValue(env, 'SKILLOPT_OPENAI_API_KEY'),
    judgeModel: (judge ?? proposer) as string,
    proposerModel: (proposer ?? judge) as string,
    timeoutMs: resolveTimeoutMs(undefined, env),
  });
}

/** `choices[0].message.content`, as text. Some servers send content as an array of text parts. */
function messageContent(parsed: unknown): string {
  const choices = (parsed as { choices?: unknown } | null)?.choices;
  if (!Array.isArray(choices) || choices.length === 0) return '';
  const content = (choices[0] as { message?: { content?: unknown } } | null)?.message?.content;
  if (typeof content === 'string') return content.trim();
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) => (typeof (part as { text?: unknown })?.text === 'string' ? (part as { text: string }).text : ''))
      .join('')
      .trim();
  }
  return '';
}

/** undici hides the useful part ("ECONNREFUSED 127.0.0.1:1") in `cause`. */
function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) return `${error.message}: ${cause.message}`;
  return error.message;
}
