/**
 * The wire side of the openai provider: the request body, messages in the Chat Completions shape,
 * one HTTP attempt with its timers, and a bounded body read.
 */
import type { ModelMessage, ModelRequest, ProviderError } from '../provider.js';

/** The Chat Completions request body for a neutral request (`stream: true`, usage when asked). */
export function requestBody(request: ModelRequest, model: string, includeUsage: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: request.model ?? model,
    messages: request.messages.map(toOpenAIMessage),
    stream: true,
  };
  if (includeUsage) body.stream_options = { include_usage: true };
  if (request.tools?.length) {
    body.tools = request.tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } }));
  }
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.maxTokens !== undefined) body.max_tokens = request.maxTokens;
  return body;
}

/** A neutral message in the Chat Completions shape. */
export function toOpenAIMessage(m: ModelMessage): Record<string, unknown> {
  switch (m.role) {
    case 'system':
    case 'user':
      return { role: m.role, content: m.content };
    case 'assistant': {
      const out: Record<string, unknown> = { role: 'assistant', content: m.content || (m.toolCalls?.length ? null : '') };
      if (m.toolCalls?.length) {
        out.tool_calls = m.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
      }
      return out;
    }
    case 'tool':
      return { role: 'tool', tool_call_id: m.toolCallId, content: m.content };
  }
}

/**
 * One HTTP attempt: its own abort controller and the connect/idle clock that fires it.
 *
 * The clock is a deadline checked by one timer, not a timer per read: a streaming answer re-arms
 * it on every chunk (and pauses it around every event it hands on), so re-arming only moves the
 * deadline; the timer, when it fires early, sleeps again for the time that is left.
 */
export class Attempt {
  readonly controller = new AbortController();
  readonly signal: AbortSignal;
  private timer: NodeJS.Timeout | undefined;
  /** When the pending timer fires (performance.now() ms). */
  private firesAt = 0;
  private armedMs = 0;
  private armedError: (() => ProviderError) | undefined;
  /** When the armed clock runs out (performance.now() ms); undefined while paused or closed. */
  private deadline: number | undefined;

  constructor(parent: AbortSignal) {
    this.signal = AbortSignal.any([parent, this.controller.signal]);
  }

  /** (Re)arms the clock: after `ms` without another arm, the attempt aborts with `error()`. */
  arm(ms: number, error: () => ProviderError): void {
    this.armedMs = ms;
    this.armedError = error;
    this.start();
  }

  /** Stops the clock while the consumer, not the server, is the one we wait for. */
  pause(): void {
    this.deadline = undefined;
  }

  /** Restarts the last armed clock from zero. */
  resume(): void {
    if (this.armedError && !this.controller.signal.aborted) this.start();
  }

  /** Stops the timer and aborts the request and its body; idempotent. */
  close(): void {
    this.deadline = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.controller.abort();
  }

  private start(): void {
    const now = performance.now();
    this.deadline = now + this.armedMs;
    // A pending timer that fires no later than the deadline will find it and sleep again.
    if (this.timer && this.firesAt <= this.deadline) return;
    clearTimeout(this.timer);
    this.schedule(this.armedMs, now);
  }

  private schedule(ms: number, now: number): void {
    this.firesAt = now + ms;
    this.timer = setTimeout(() => this.check(), ms);
  }

  private check(): void {
    this.timer = undefined;
    if (this.deadline === undefined) return;
    const now = performance.now();
    // Timers may fire a little early; only a deadline really passed aborts.
    if (this.deadline - now > 1) return this.schedule(this.deadline - now, now);
    this.deadline = undefined;
    this.controller.abort(this.armedError!());
  }
}

/** Reads at most `limit` bytes of a body as text; the rest is discarded. */
export async function readBounded(response: Response, limit: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}
