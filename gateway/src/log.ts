/**
 * Logging: pino, namespaced child loggers (`gateway:ws`, `gateway:auth`, `channel:telegram`),
 * quiet by default, pretty on a TTY, JSON otherwise.
 *
 * Two guards sit in front of every line:
 * - secrets: every credential the daemon knows (gateway token, password, pairing codes) is
 *   registered with {@link registerSecret} and replaced by `[redacted]` wherever it appears;
 *   fields named like credentials are redacted by path as well;
 * - repetition: the same line — same level, logger bindings, message *and fields* — within
 *   {@link DEDUPE_WINDOW_MS} of its first copy is logged once; when the window ends with copies
 *   suppressed, one line "<message> (repeated N times)" with `repeated: N` reports them. Lines that
 *   differ in any field (another device id, another address) are distinct events and all logged.
 */
import { createHash } from 'node:crypto';
import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';

export type Log = Logger;

/** Lines repeated within this window are collapsed. */
export const DEDUPE_WINDOW_MS = 10_000;
/** Distinct lines remembered at once; beyond it the oldest are reported and forgotten early. */
const DEDUPE_MAX_KEYS = 1_000;
const REDACTED = '[redacted]';

const secrets = new Set<string>();

/** Marks a string as secret: it never appears in a log line after this. Short strings are ignored. */
export function registerSecret(secret: string | undefined | null): void {
  if (secret && secret.length >= 6) secrets.add(secret);
}

/** Forgets a secret that is no longer valid (a revoked token), keeping the set bounded. */
export function forgetSecret(secret: string): void {
  secrets.delete(secret);
}

/** Replaces every registered secret in `text`. */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
}

function scrubValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubSecrets(value);
  if (depth > 3 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    const e = value as Error & { code?: unknown };
    return { type: e.name, message: scrubSecrets(e.message), code: e.code, stack: e.stack ? scrubSecrets(e.stack) : undefined };
  }
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubValue(v, depth + 1);
  return out;
}

/** One line seen within the window: how to write its "repeated" summary when the window ends. */
interface Repeat {
  suppressed: number;
  timer?: NodeJS.Timeout;
  summarize(count: number): void;
}

/** The de-duplication key of one line: a hash of its level, bindings and every argument. */
function repeatKey(level: number, bindings: unknown, args: readonly unknown[]): string {
  return createHash('sha1').update(`${level}|${keyJson(bindings)}|${keyJson(args)}`).digest('base64');
}

/** How deep {@link keyJson} looks; deeper values count as equal (and a cycle cannot recurse forever). */
const KEY_DEPTH = 4;

/**
 * A line's fields as text for its key, never throwing: keys sorted (the same fields in another order
 * are the same line), an Error by its name and message (not enumerable, so plain JSON would make
 * every error look alike), BigInt as digits, nothing followed below {@link KEY_DEPTH} levels.
 */
function keyJson(value: unknown, depth = 0): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (depth >= KEY_DEPTH) return '"…"';
  if (value instanceof Error) return JSON.stringify(`${value.name}: ${value.message}`);
  if (Array.isArray(value)) return `[${value.map((v) => keyJson(v, depth + 1)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${keyJson(v, depth + 1)}`).join(',')}}`;
}

/**
 * The repetition guard: `admit` says whether a line is written now; suppressed copies are counted
 * and reported by one summary line when the line's window ends.
 */
class RepeatGuard {
  private readonly seen = new Map<string, Repeat>();

  constructor(private readonly windowMs: number) {}

  admit(key: string, summarize: (count: number) => void): boolean {
    const seen = this.seen.get(key);
    if (seen) {
      seen.suppressed++;
      return false;
    }
    if (this.seen.size >= DEDUPE_MAX_KEYS) this.end(this.seen.keys().next().value!);
    const entry: Repeat = { suppressed: 0, summarize };
    entry.timer = setTimeout(() => this.end(key), this.windowMs);
    entry.timer.unref?.();
    this.seen.set(key, entry);
    return true;
  }

  /** Ends a line's window: forgets it and reports the copies that were suppressed. */
  private end(key: string): void {
    const entry = this.seen.get(key);
    if (!entry) return;
    this.seen.delete(key);
    clearTimeout(entry.timer);
    if (entry.suppressed > 0) entry.summarize(entry.suppressed);
  }
}

export interface CreateLogOptions {
  /** pino level; default from SWITCHBOARD_LOG_LEVEL, else `info`. `silent` turns logging off. */
  level?: string;
  /** Human-readable output; default: when stderr is a TTY. */
  pretty?: boolean;
  /** Where lines go; default stderr. */
  destination?: DestinationStream;
  /** The de-duplication window (ms); default {@link DEDUPE_WINDOW_MS}. */
  dedupeWindowMs?: number;
}

/**
 * Creates the root logger. Children carry an `ns` field: `log.child({ ns: 'gateway:ws' })`.
 */
export async function createLog(options: CreateLogOptions = {}): Promise<Log> {
  const level = options.level ?? process.env.SWITCHBOARD_LOG_LEVEL ?? 'info';
  const pretty = options.pretty ?? (process.stderr.isTTY === true && !options.destination);
  const repeats = new RepeatGuard(options.dedupeWindowMs ?? DEDUPE_WINDOW_MS);
  /** Set once the default destination (stderr) failed: nothing more is written. */
  let outputLost = false;

  const pinoOptions: LoggerOptions = {
    level,
    base: undefined,
    redact: {
      paths: ['token', 'password', 'auth', '*.token', '*.password', '*.auth', '*.deviceToken', 'secret', '*.secret', 'apiKey', '*.apiKey'],
      censor: REDACTED,
    },
    hooks: {
      logMethod(args, method, levelNumber) {
        if (outputLost) return;
        const scrubbed = args.map((a) => scrubValue(a)) as typeof args;
        const logger = this as Logger;
        const key = repeatKey(levelNumber, logger.bindings?.(), scrubbed);
        const admitted = repeats.admit(key, (count) => {
          // The same fields, the count, and the message marked as a summary.
          const fields = typeof scrubbed[0] === 'object' && scrubbed[0] !== null ? { ...(scrubbed[0] as object) } : {};
          const msg = scrubbed.find((a) => typeof a === 'string') as string | undefined;
          method.apply(logger, [{ ...fields, repeated: count }, `${msg ?? 'line'} (repeated ${count} times)`] as unknown as typeof args);
        });
        if (admitted) method.apply(logger, scrubbed);
      },
    },
  };

  if (options.destination) return pino(pinoOptions, options.destination);
  if (pretty && level !== 'silent') {
    const { default: pinoPretty } = await import('pino-pretty');
    return pino(pinoOptions, pinoPretty({
      colorize: true,
      destination: 2,
      sync: true,
      ignore: 'ns,pid,hostname',
      messageFormat: '{if ns}{ns} {end}{msg}',
      translateTime: 'HH:MM:ss.l',
    }));
  }
  // Written synchronously, as pino's own default is: an asynchronous write still in flight when the
  // process exits is flushed by sonic-boom's flushSync, which retries every error other than EAGAIN
  // every 100 ms forever — with stderr gone (a supervisor's log pipe closed, `… | head`, a test
  // runner that died: EPIPE) the daemon hung after its orderly stop and SIGTERM never ended it.
  // A synchronous write fails at once instead; from then on lines are dropped (pino turns the
  // stream into a no-op on EPIPE; any other failure is handled here) and the daemon carries on.
  // fd 2 stays open: closing it would let a database file take its number.
  const destination = pino.destination({ dest: 2, sync: true });
  destination.on('error', () => {
    outputLost = true;
    destination.flushSync = () => {};
  });
  return pino(pinoOptions, destination);
}

/** A logger that drops everything (tests, library use). */
export function silentLog(): Log {
  return pino({ level: 'silent' });
}
