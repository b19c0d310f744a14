/**
 * The model provider interface: a provider-neutral request in, an async stream of events out.
 *
 * Contract every provider keeps (the agent loop and the run manager rely on it):
 * - the stream never throws; a failure arrives as the last event, `finish` with `reason: 'error'`
 *   and a typed {@link ProviderError};
 * - exactly one `finish` event, always last; `finish.text` and `finish.toolCalls` repeat what was
 *   streamed before it (so a consumer that lost deltas still has the whole answer, and a
 *   mid-stream failure keeps what was received);
 * - a complete tool call is announced once with a `tool_call` event before `finish`; its pieces
 *   may stream earlier as `tool_call_delta` events (for display only);
 * - when the `AbortSignal` fires the stream ends promptly with `finish` reason `aborted`.
 */

/** A tool call as the model asked for it. `arguments` is the JSON text the model produced. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** One message of the conversation, in a provider-neutral shape. */
export type ModelMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: ToolCall[] }
  | { role: 'tool'; toolCallId: string; name: string; content: string; isError?: boolean };

/** A tool the model may call: name, what it does, and a JSON Schema of its arguments object. */
export interface ToolDefinition {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

/** What a provider is asked for. */
export interface ModelRequest {
  messages: ModelMessage[];
  /** Tools on offer; none means a plain answer. */
  tools?: ToolDefinition[];
  /** Overrides the provider's configured model for this request. */
  model?: string;
  temperature?: number;
  maxTokens?: number;
}

/** Token counts, when the provider reports them. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** Why a stream ended. */
export type StopReason = 'stop' | 'length' | 'tool_calls' | 'aborted' | 'error';

/** The events of a provider stream. */
export type ProviderEvent =
  | { type: 'text'; delta: string }
  | { type: 'tool_call_delta'; index: number; id?: string; name?: string; argumentsDelta: string }
  | { type: 'tool_call'; call: ToolCall }
  | { type: 'usage'; usage: Usage }
  | { type: 'finish'; reason: StopReason; text: string; toolCalls: ToolCall[]; error?: ProviderError };

/** A model provider. Implementations: `openai` (any Chat Completions endpoint) and `echo`. */
export interface ModelProvider {
  /** Provider id: `openai`, `echo`. */
  readonly id: string;
  /** The model used when a request names none. */
  readonly model: string;
  /** Streams one model turn. Never throws; see the module contract. */
  stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<ProviderEvent>;
}

/**
 * Kinds of provider failure:
 * `auth` (401/403), `not_found` (404: model or URL), `rate_limit` (429), `server` (5xx),
 * `bad_request` (another 4xx), `context_length` (the prompt is too long for the model),
 * `timeout` (connect, idle or overall deadline), `network` (refused, reset, dropped mid-stream),
 * `bad_response` (not the format we speak).
 */
export type ProviderErrorKind =
  | 'auth' | 'not_found' | 'rate_limit' | 'server' | 'bad_request' | 'context_length'
  | 'timeout' | 'network' | 'bad_response';

/** Fields of a {@link ProviderError} beyond kind and message. */
export interface ProviderErrorInit {
  status?: number;
  retryAfterMs?: number;
  /** Overrides the kind's default retryability. */
  retryable?: boolean;
  cause?: unknown;
}

const RETRYABLE_KINDS: ReadonlySet<ProviderErrorKind> = new Set(['rate_limit', 'server', 'timeout', 'network']);

/**
 * A typed provider failure. The message is a sentence that says how to fix it and never contains
 * a credential. `retryable` and `retryAfterMs` are read by `net/retry.ts`.
 */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly kind: ProviderErrorKind;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly retryable: boolean;

  constructor(kind: ProviderErrorKind, message: string, init: ProviderErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = kind;
    if (init.status !== undefined) this.status = init.status;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
    this.retryable = init.retryable ?? RETRYABLE_KINDS.has(kind);
  }
}

/**
 * OpenClaw's `errorKind` for `chat`/`agent` error events (`refusal|timeout|rate_limit|
 * context_length|unknown`) from a provider error kind.
 */
export function openClawErrorKind(kind: ProviderErrorKind | undefined): 'timeout' | 'rate_limit' | 'context_length' | 'unknown' {
  return kind === 'timeout' || kind === 'rate_limit' || kind === 'context_length' ? kind : 'unknown';
}
