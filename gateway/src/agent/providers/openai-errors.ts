/**
 * Maps what an OpenAI-compatible server (or the network on the way to it) did wrong to a typed
 * {@link ProviderError} whose message says how to fix it. The API key never appears in a message:
 * the server's own text is cut short and has the key scrubbed out.
 */
import { parseRetryAfter } from '../../net/retry.js';
import { SseOverflowError } from '../../net/sse.js';
import { ProviderError } from '../provider.js';

/** What an error message may mention. */
export interface ErrorContext {
  /** Endpoint shown to the user, without credentials. */
  endpoint: string;
  model: string;
  /** Name of the environment variable the key is read from. */
  apiKeyEnv: string;
  hasKey: boolean;
  /** The key itself, only to scrub it out of server text. */
  apiKey?: string;
}

const MAX_SERVER_TEXT = 300;

/** The server's explanation from an error body (`{error:{message}}`, `{message}`, `{detail}` or text), short and scrubbed. */
export function serverText(body: string, ctx: ErrorContext): { text: string; code?: string } {
  let text = body;
  let code: string | undefined;
  try {
    const json = JSON.parse(body) as Record<string, unknown>;
    const err = (typeof json.error === 'object' && json.error !== null ? json.error : json) as Record<string, unknown>;
    const message = err.message ?? (typeof json.error === 'string' ? json.error : undefined) ?? json.detail;
    if (typeof message === 'string') text = message;
    const c = err.code ?? err.type;
    if (typeof c === 'string') code = c;
  } catch {
    // Not JSON: keep the raw text.
  }
  // Control characters are replaced so a hostile body cannot forge log lines.
  text = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  if (ctx.apiKey) text = text.split(ctx.apiKey).join('[redacted]');
  if (text.length > MAX_SERVER_TEXT) text = `${text.slice(0, MAX_SERVER_TEXT)}…`;
  return code === undefined ? { text } : { text, code };
}

const CONTEXT_LENGTH = /context.?length|context window|maximum context|too many tokens|prompt is too long|exceeds the (model'?s )?(context|maximum)/i;

/** An HTTP error response → ProviderError. `headers` supply `Retry-After`/`retry-after-ms`. */
export function errorFromStatus(status: number, body: string, headers: Headers, ctx: ErrorContext): ProviderError {
  const server = serverText(body, ctx);
  const said = server.text ? `: "${server.text}"` : '';
  const where = `${ctx.endpoint} (HTTP ${status}${said})`;
  if (status === 401 || status === 403) {
    const fix = ctx.hasKey
      ? `set ${ctx.apiKeyEnv} to a key that is valid for this endpoint and has access to model "${ctx.model}"`
      : `this endpoint needs an API key and none is set: put it in ${ctx.apiKeyEnv} (or name another variable in agent.apiKeyEnv)`;
    return new ProviderError('auth', `the API key was rejected by ${where}; ${fix}`, { status });
  }
  if (status === 404) {
    return new ProviderError('not_found', `model "${ctx.model}" or the URL was not found at ${where}; check agent.model names a model this server has (GET /v1/models, or \`ollama list\`) and that agent.baseUrl is the API root that /chat/completions is appended to (usually ending in /v1)`, { status });
  }
  if (status === 429) {
    const retryAfterMs = retryAfterFrom(headers);
    if (server.code === 'insufficient_quota') {
      return new ProviderError('rate_limit', `the account behind ${ctx.apiKeyEnv} is out of quota at ${where}; add credit or use another key`, { status, retryable: false });
    }
    const wait = retryAfterMs === undefined ? '' : ` and asked to wait ${Math.ceil(retryAfterMs / 1000)} s`;
    return new ProviderError('rate_limit', `the model server is rate limiting requests${wait} at ${where}; send fewer requests or raise the account's limit`, { status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
  }
  if (status >= 500) {
    return new ProviderError('server', `the model server failed at ${where}; it may be overloaded or still loading the model: try again later or check the server's logs`, { status });
  }
  if (status >= 400 && (server.code === 'context_length_exceeded' || CONTEXT_LENGTH.test(server.text))) {
    return new ProviderError('context_length', `the conversation is too long for model "${ctx.model}" at ${where}; reset the session or use a model with a larger context window`, { status });
  }
  if (status >= 400) {
    return new ProviderError('bad_request', `the model server rejected the request at ${where}; check agent.model and the agent options against what this server supports`, { status });
  }
  return new ProviderError('bad_response', `the model server answered with HTTP ${status} at ${ctx.endpoint}, which is not a Chat Completions answer; check agent.baseUrl`, { status });
}

/** `retry-after-ms` (OpenAI) wins over `retry-after` (seconds or HTTP date). */
export function retryAfterFrom(headers: Headers): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.round(Number(ms));
  return parseRetryAfter(headers.get('retry-after'));
}

function networkCode(error: unknown, depth = 0): string | undefined {
  if (!error || typeof error !== 'object' || depth > 3) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return networkCode((error as { cause?: unknown }).cause, depth + 1);
}

/**
 * A thrown failure (fetch rejected, the body stream broke, a parse failed) → ProviderError.
 * `received` is how many characters of answer had arrived, for a mid-stream message.
 */
export function errorFromFailure(error: unknown, ctx: ErrorContext, received = 0): ProviderError {
  if (error instanceof ProviderError) return error;
  if (error instanceof SseOverflowError) {
    return new ProviderError('bad_response', `${error.message} from ${ctx.endpoint}; check agent.baseUrl points at an OpenAI-compatible API`, { cause: error });
  }
  const code = networkCode(error) ?? 'unknown';
  if (received > 0) {
    return new ProviderError('network', `the connection to ${ctx.endpoint} broke mid-answer (${code}) after ${received} characters; the partial answer was kept: send the message again to retry`, { cause: error, retryable: false });
  }
  return new ProviderError('network', `cannot reach the model server at ${ctx.endpoint} (${code}); check agent.baseUrl and that the server is running`, { cause: error });
}

/** A URL as it may be shown: credentials and query string removed. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}
