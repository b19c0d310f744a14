/**
 * The one retry helper for every outbound call the daemon makes (model providers, and later the
 * Telegram/Discord/WhatsApp send paths).
 *
 * - {@link classifyFailure} decides whether an error is worth another attempt: network errors and
 *   HTTP 408/425/429/5xx are; 400/401/403/404/422 and aborts are not. An error may also say so
 *   itself with a boolean `retryable` property.
 * - A server-given wait (`Retry-After` header in seconds or as an HTTP date, a `retry_after`
 *   body field in seconds, or an explicit `retryAfterMs`) is honoured **in full, never clamped**.
 *   When it is longer than the caller's `maxWaitMs`, {@link retry} does not sleep: it throws a
 *   {@link RetryLaterError} that reports the wait, so a caller with a queue can park the work.
 * - Otherwise the wait is exponential backoff with jitter, capped at `maxDelayMs`.
 * - The `signal` cancels both the attempts (it is handed to them) and the waiting in between.
 */

/** What {@link classifyFailure} concluded about one failed attempt. */
export interface FailureClass {
  /** Whether another attempt may succeed. */
  retryable: boolean;
  /** The wait the server asked for, in ms, if it named one. */
  retryAfterMs?: number;
  /** HTTP status, when the error carried one. */
  status?: number;
  /** Short machine-readable reason: `status:429`, `network:ECONNRESET`, `aborted`, ... */
  reason: string;
}

/** Options of {@link retry}. Every field has a default. */
export interface RetryOptions {
  /** Attempts in total, the first included. Default 3. */
  maxAttempts?: number;
  /** Backoff before the second attempt (ms); doubles each time. Default 500. */
  baseDelayMs?: number;
  /** Cap of the computed backoff (ms). Never applied to a server-given wait. Default 30 000. */
  maxDelayMs?: number;
  /** Longest server-given wait the helper will sleep through (ms); longer → {@link RetryLaterError}. Default 60 000. */
  maxWaitMs?: number;
  /** Cancels the attempts and the waits; the helper then rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** Replaces {@link classifyFailure} (e.g. for a library's own error class). */
  classify?: (error: unknown) => FailureClass;
  /** Called before each wait: for logging. Must not throw. */
  onRetry?: (info: { attempt: number; delayMs: number; failure: FailureClass; error: unknown }) => void;
  /** Source of randomness for jitter, in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/** Thrown by {@link retry} when the server asked for a wait longer than `maxWaitMs`. */
export class RetryLaterError extends Error {
  override readonly name = 'RetryLaterError';
  /** The full wait the server asked for (ms), never clamped. */
  readonly retryAfterMs: number;
  /** Attempts made before giving up. */
  readonly attempts: number;
  constructor(retryAfterMs: number, attempts: number, cause: unknown) {
    super(`the server asked to wait ${Math.ceil(retryAfterMs / 1000)} s before retrying, longer than this caller waits; retry after that time`, { cause });
    this.retryAfterMs = retryAfterMs;
    this.attempts = attempts;
  }
}

const RETRYABLE_STATUS = new Set([408, 425, 429]);

// Error codes of Node sockets, DNS and undici (fetch) that mean "the network, not the request".
const NETWORK_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH',
  'ENETDOWN', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED',
]);

/**
 * Parses a `Retry-After` value: delay-seconds (`"120"`, also a number) or an HTTP date.
 * Returns the wait in ms (0 for a date in the past), or undefined when unparseable.
 */
export function parseRetryAfter(value: string | number | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at) || !/[a-z]/i.test(text)) return undefined;
  return Math.max(0, at - now);
}

function readHeader(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const v = (headers as Record<string, unknown>)[name] ?? (headers as Record<string, unknown>)[name.toLowerCase()];
  return typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined;
}

function statusOf(e: Record<string, unknown>): number | undefined {
  for (const key of ['status', 'statusCode', 'error_code']) {
    const v = e[key];
    if (typeof v === 'number' && v >= 100 && v <= 599) return v;
  }
  return undefined;
}

function serverWaitOf(e: Record<string, unknown>): number | undefined {
  if (typeof e.retryAfterMs === 'number' && e.retryAfterMs >= 0) return e.retryAfterMs;
  const fromHeader = parseRetryAfter(readHeader(e.headers, 'retry-after'));
  if (fromHeader !== undefined) return fromHeader;
  // Telegram puts it in `parameters.retry_after`, Discord in the body's `retry_after` (seconds).
  const params = e.parameters as Record<string, unknown> | undefined;
  const seconds = e.retry_after ?? params?.retry_after;
  return typeof seconds === 'number' || typeof seconds === 'string' ? parseRetryAfter(seconds) : undefined;
}

function networkCodeOf(error: unknown, depth = 0): string | undefined {
  if (!error || typeof error !== 'object' || depth > 3) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
  return networkCodeOf((error as { cause?: unknown }).cause, depth + 1);
}

/**
 * The default classification. Reads, in order: an explicit boolean `retryable`; an HTTP status
 * (`status`, `statusCode`, `error_code`); a network error code on the error or its `cause` chain
 * (undici wraps them in `TypeError: fetch failed`). Aborts are never retryable; anything else
 * unknown is not retried either (a bug does not get better by repeating it).
 */
export function classifyFailure(error: unknown): FailureClass {
  if (!error || typeof error !== 'object') return { retryable: false, reason: 'unknown' };
  const e = error as Record<string, unknown>;
  if (e.name === 'AbortError') return { retryable: false, reason: 'aborted' };
  const status = statusOf(e);
  const retryAfterMs = serverWaitOf(e);
  const withWait = retryAfterMs === undefined ? {} : { retryAfterMs };
  if (typeof e.retryable === 'boolean') {
    return { retryable: e.retryable, status, reason: status ? `status:${status}` : 'declared', ...withWait };
  }
  if (status !== undefined) {
    return { retryable: RETRYABLE_STATUS.has(status) || status >= 500, status, reason: `status:${status}`, ...withWait };
  }
  const code = networkCodeOf(error);
  if (code) return { retryable: true, reason: `network:${code}` };
  return { retryable: false, reason: 'unknown' };
}

/** The backoff before attempt `attempt + 1`: exponential, capped, with "equal jitter" (half fixed, half random). */
export function backoffDelay(attempt: number, baseDelayMs: number, maxDelayMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + (exp / 2) * random());
}

/** Resolves after `ms`, or rejects with `signal.reason` as soon as the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `attempt` until it succeeds, a failure is not retryable, attempts run out (the last error is
 * rethrown as is), the server asks for a wait over `maxWaitMs` ({@link RetryLaterError}), or the
 * signal aborts (rejects with `signal.reason`). `attempt` receives the 1-based attempt number.
 */
export async function retry<T>(attempt: (n: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  const baseDelayMs = options.baseDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  const maxWaitMs = options.maxWaitMs ?? 60_000;
  const classify = options.classify ?? classifyFailure;
  const { signal } = options;
  for (let n = 1; ; n++) {
    if (signal?.aborted) throw signal.reason;
    try {
      return await attempt(n);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const failure = classify(error);
      if (!failure.retryable || n >= maxAttempts) throw error;
      if (failure.retryAfterMs !== undefined && failure.retryAfterMs > maxWaitMs) {
        throw new RetryLaterError(failure.retryAfterMs, n, error);
      }
      const delayMs = failure.retryAfterMs ?? backoffDelay(n, baseDelayMs, maxDelayMs, options.random);
      options.onRetry?.({ attempt: n, delayMs, failure, error });
      await sleep(delayMs, signal);
    }
  }
}
