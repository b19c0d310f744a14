/**
 * The `openai` provider: any OpenAI-compatible Chat Completions endpoint (OpenAI, Ollama, vLLM,
 * llama.cpp server, OpenRouter), spoken with Node's global `fetch`, streamed as server-sent events.
 *
 * Time limits, each ending the stream with a `timeout` error:
 * - connect: from sending the request to the response headers;
 * - idle: between two reads of the body (keep-alive comments count as life);
 * - total: the whole turn, retries included.
 *
 * Retries (through `net/retry.ts`) cover everything **before the first output**: the request, the
 * response headers, and the stream up to its first text or tool-call piece. Once output has been
 * streamed nothing is retried, so a consumer never sees text twice; a later failure ends the
 * stream with an error and keeps what was received.
 */
import type { Log } from '../../log.js';
import { registerSecret, silentLog } from '../../log.js';
import { retry, RetryLaterError, type RetryOptions } from '../../net/retry.js';
import { readSse, type SseEvent } from '../../net/sse.js';
import { ProviderError, type ModelProvider, type ModelRequest, type ProviderEvent } from '../provider.js';
import { displayUrl, errorFromFailure, errorFromStatus, type ErrorContext } from './openai-errors.js';
import { Attempt, readBounded, requestBody } from './openai-request.js';
import { CompletionAccumulator, parseChunk } from './openai-stream.js';

export { toOpenAIMessage } from './openai-request.js';

/** Default environment variable holding the API key. */
export const DEFAULT_API_KEY_ENV = 'SWITCHBOARD_OPENAI_API_KEY';

/** Time limits of one model turn (ms). */
export interface OpenAITimeouts {
  /** Request sent → response headers. Default 30 000. */
  connectMs?: number;
  /** Longest silence between two reads of the stream. Default 60 000. */
  idleMs?: number;
  /** Whole turn, retries included. Default 600 000. */
  totalMs?: number;
}

/** Options of {@link OpenAIProvider}. */
export interface OpenAIProviderOptions {
  /** API root, e.g. `https://api.openai.com/v1`, `http://127.0.0.1:11434/v1`. */
  baseUrl: string;
  model: string;
  /**
   * Environment variable with the API key. Default `SWITCHBOARD_OPENAI_API_KEY`, falling back to
   * `OPENAI_API_KEY`; a variable named here explicitly has no fallback (an OpenAI key is never
   * sent to another vendor by accident). No key at all is fine for local servers.
   */
  apiKeyEnv?: string;
  /** Where variables are read; default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Extra request headers (e.g. OpenRouter's `HTTP-Referer`). */
  headers?: Record<string, string>;
  timeouts?: OpenAITimeouts;
  /** Retry policy before the first output; defaults: 3 attempts, 500 ms base, wait ≤ 60 s for Retry-After. */
  retry?: Pick<RetryOptions, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs' | 'maxWaitMs'>;
  /** Ask for a final usage chunk (`stream_options.include_usage`); dropped automatically if the server refuses it. Default true. */
  includeUsage?: boolean;
  /** Bound of one streamed event (characters). Default 4 MiB. */
  maxEventChars?: number;
  log?: Log;
}

interface Opened {
  acc: CompletionAccumulator;
  buffered: ProviderEvent[];
  events?: AsyncGenerator<SseEvent>;
  attempt: Attempt;
}

/** The `openai` provider. Safe to share between concurrent runs. */
export class OpenAIProvider implements ModelProvider {
  readonly id = 'openai';
  readonly model: string;
  private readonly url: string;
  private readonly apiKey: string | undefined;
  private readonly ctx: ErrorContext;
  private readonly timeouts: Required<OpenAITimeouts>;
  private includeUsage: boolean;
  private readonly log: Log;

  constructor(private readonly options: OpenAIProviderOptions) {
    if (!/^https?:\/\//i.test(options.baseUrl)) {
      throw new Error(`agent.baseUrl must be an http(s) URL such as http://127.0.0.1:11434/v1, got "${displayUrl(options.baseUrl)}"`);
    }
    if (!options.model) throw new Error('agent.model is required for the openai provider: name the model, e.g. "gpt-4o-mini" or "llama3.2"');
    this.model = options.model;
    this.url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    const env = options.env ?? process.env;
    const keyEnv = options.apiKeyEnv ?? DEFAULT_API_KEY_ENV;
    this.apiKey = env[keyEnv] || (options.apiKeyEnv ? undefined : env.OPENAI_API_KEY) || undefined;
    registerSecret(this.apiKey);
    const usedEnv = this.apiKey && !env[keyEnv] ? 'OPENAI_API_KEY' : keyEnv;
    this.ctx = { endpoint: displayUrl(this.url), model: this.model, apiKeyEnv: usedEnv, hasKey: Boolean(this.apiKey), apiKey: this.apiKey };
    this.timeouts = { connectMs: 30_000, idleMs: 60_000, totalMs: 600_000, ...options.timeouts };
    this.includeUsage = options.includeUsage ?? true;
    this.log = (options.log ?? silentLog()).child({ ns: 'agent:openai' });
  }

  /** Streams one model turn; see the module comment for timeouts and retries. */
  async *stream(request: ModelRequest, signal: AbortSignal): AsyncGenerator<ProviderEvent> {
    const deadline = new AbortController();
    const deadlineTimer = setTimeout(() => deadline.abort(this.timeoutError('total', this.timeouts.totalMs)), this.timeouts.totalMs);
    const run = AbortSignal.any([signal, deadline.signal]);
    let opened: Opened | undefined;
    try {
      try {
        opened = await retry(() => this.open(request, run), {
          maxAttempts: 3, baseDelayMs: 500, maxWaitMs: 60_000, ...this.options.retry, signal: run,
          onRetry: ({ attempt, delayMs, failure }) =>
            this.log.warn({ attempt, delayMs, reason: failure.reason }, 'model request failed before any output; retrying'),
        });
      } catch (error) {
        yield this.failed(new CompletionAccumulator(), error, signal, run);
        return;
      }
      yield* this.streamOpened(opened, signal);
    } finally {
      clearTimeout(deadlineTimer);
      opened?.attempt.close();
      await opened?.events?.return(undefined).catch(() => undefined);
    }
  }

  /** After the first output: releases the held-back events, then streams the rest; nothing is retried from here. */
  private async *streamOpened(opened: Opened, signal: AbortSignal): AsyncGenerator<ProviderEvent> {
    const { acc, attempt } = opened;
    attempt.pause();
    yield* opened.buffered;
    attempt.resume();
    if (acc.finished || !opened.events) {
      yield* acc.finish();
      return;
    }
    try {
      for await (const event of opened.events) {
        if (event.data === '[DONE]') break;
        const out = acc.pushChunk(parseChunk(event.data));
        // The idle clock measures the server, not a slow consumer of these events.
        attempt.pause();
        yield* out;
        attempt.resume();
      }
      if (signal.aborted) throw signal.reason;
      if (!acc.sawFinishReason && !acc.finished) {
        throw new ProviderError('network', `the stream from ${this.ctx.endpoint} ended before the model finished; the partial answer was kept: send the message again to retry`, { retryable: false });
      }
      yield* acc.finish();
    } catch (error) {
      // After finish_reason only the usage chunk and [DONE] were still due: the answer is whole.
      if (acc.sawFinishReason && !signal.aborted) yield* acc.finish();
      else yield this.failed(acc, error, signal, attempt.signal, true);
    }
  }

  /**
   * One attempt: send, check the status, and read the stream up to its first output. Throws a
   * ProviderError (retryable or not) for anything that went wrong in that window.
   */
  private async open(request: ModelRequest, run: AbortSignal): Promise<Opened> {
    const attempt = new Attempt(run);
    const acc = new CompletionAccumulator();
    const includeUsage = this.includeUsage;
    try {
      attempt.arm(this.timeouts.connectMs, () => this.timeoutError('connect', this.timeouts.connectMs));
      const response = await fetch(this.url, {
        method: 'POST',
        headers: this.headers(),
        body: JSON.stringify(requestBody(request, this.model, includeUsage)),
        signal: attempt.signal,
      });
      attempt.arm(this.timeouts.idleMs, () => this.timeoutError('idle', this.timeouts.idleMs));
      if (!response.ok) {
        const text = await readBounded(response, 64 * 1024);
        if (response.status === 400 && includeUsage && /stream_options|include_usage/i.test(text)) {
          // A server that does not know stream_options: ask again without it, at once.
          this.includeUsage = false;
          throw new ProviderError('bad_request', 'the server refused stream_options; retrying without it', { retryable: true, retryAfterMs: 0 });
        }
        throw errorFromStatus(response.status, text, response.headers, this.ctx);
      }
      const type = response.headers.get('content-type') ?? '';
      if (/application\/json/i.test(type)) {
        const body = await readBounded(response, this.options.maxEventChars ?? 4 * 1024 * 1024);
        return { acc, buffered: acc.pushCompletion(parseChunk(body)), attempt };
      }
      if (type && !/text\/event-stream/i.test(type)) {
        throw new ProviderError('bad_response', `${this.ctx.endpoint} answered with "${type.split(';')[0]}", not an event stream; check agent.baseUrl points at an OpenAI-compatible API (usually ending in /v1)`, { status: response.status });
      }
      if (!response.body) throw new ProviderError('bad_response', `${this.ctx.endpoint} sent an empty body; check agent.baseUrl`);
      const idle = () => this.timeoutError('idle', this.timeouts.idleMs);
      const events = readSse(response.body, {
        maxEventChars: this.options.maxEventChars,
        onBytes: () => attempt.arm(this.timeouts.idleMs, idle),
      });
      return { acc, buffered: await this.readToFirstOutput(events, acc), events, attempt };
    } catch (error) {
      attempt.close();
      // The caller's abort or the overall deadline is reported by stream(); only the attempt's own timers end here.
      if (run.aborted) throw run.reason;
      throw errorFromFailure(attempt.signal.reason instanceof ProviderError ? attempt.signal.reason : error, this.ctx);
    }
  }

  /** Reads events until the model produced output or finished; returns the events it made. */
  private async readToFirstOutput(events: AsyncGenerator<SseEvent>, acc: CompletionAccumulator): Promise<ProviderEvent[]> {
    const buffered: ProviderEvent[] = [];
    let seen = 0;
    for (;;) {
      const next = await events.next();
      if (next.done) break;
      seen++;
      if (next.value.data === '[DONE]') {
        acc.done();
        break;
      }
      buffered.push(...acc.pushChunk(parseChunk(next.value.data)));
      if (acc.hasOutput || acc.sawFinishReason) return buffered;
    }
    if (seen === 0) {
      throw new ProviderError('bad_response', `${this.ctx.endpoint} closed the stream without sending any event; check agent.baseUrl points at an OpenAI-compatible API`);
    }
    if (!acc.finished) {
      throw new ProviderError('network', `the stream from ${this.ctx.endpoint} ended before the model answered; check the server's logs`);
    }
    return buffered;
  }

  /** The closing event of a failed turn: aborted (caller), or error with what was received kept. */
  private failed(acc: CompletionAccumulator, error: unknown, caller: AbortSignal, scope: AbortSignal, midStream = false): ProviderEvent {
    const toolCalls: never[] = [];
    if (caller.aborted) return { type: 'finish', reason: 'aborted', text: acc.text, toolCalls };
    let cause = error;
    if (scope.aborted && scope.reason instanceof ProviderError) cause = scope.reason;
    if (error instanceof RetryLaterError && error.cause instanceof ProviderError) {
      const c = error.cause;
      cause = new ProviderError(c.kind, c.message, { status: c.status, retryAfterMs: error.retryAfterMs, retryable: false });
    }
    const chars = acc.text.length + (acc.hasOutput ? 1 : 0);
    const providerError = errorFromFailure(cause, this.ctx, midStream ? Math.max(chars, 1) : 0);
    this.log.warn({ kind: providerError.kind, status: providerError.status }, providerError.message);
    return { type: 'finish', reason: 'error', text: acc.text, toolCalls, error: providerError };
  }

  private timeoutError(which: 'connect' | 'idle' | 'total', ms: number): ProviderError {
    const what = {
      connect: `no response headers from ${this.ctx.endpoint} within ${ms} ms`,
      idle: `the stream from ${this.ctx.endpoint} was silent for ${ms} ms`,
      total: `the model turn took longer than ${ms} ms`,
    }[which];
    return new ProviderError('timeout', `${what}; check the server is up and not overloaded, or raise agent.timeouts.${which}Ms`, { retryable: which !== 'total' });
  }

  private headers(): Record<string, string> {
    const h: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'text/event-stream, application/json',
      ...this.options.headers,
    };
    if (this.apiKey) h.authorization = `Bearer ${this.apiKey}`;
    return h;
  }

}
