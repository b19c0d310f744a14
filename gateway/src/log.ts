/**
 * Logging: pino, namespaced child loggers (`gateway:ws`, `gateway:auth`, `channel:telegram`),
 * quiet by default, pretty on a TTY, JSON otherwise.
 *
 * Two guards sit in front of every line:
 * - secrets: every credential the daemon knows (gateway token, password, pairing codes) is
 *   registered with {@link registerSecret} and replaced by `[redacted]` wherever it appears;
 *   fields named like credentials are redacted by path as well;
 * - repetition: the same line (level, namespace, message) within {@link DEDUPE_WINDOW_MS} is
 *   logged once, and the count of suppressed copies is reported with the next one.
 */
import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';

export type Log = Logger;

/** Lines repeated within this window are collapsed. */
export const DEDUPE_WINDOW_MS = 10_000;
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

interface Repeat { until: number; suppressed: number }

export interface CreateLogOptions {
  /** pino level; default from SWITCHBOARD_LOG_LEVEL, else `info`. `silent` turns logging off. */
  level?: string;
  /** Human-readable output; default: when stderr is a TTY. */
  pretty?: boolean;
  /** Where lines go; default stderr. */
  destination?: DestinationStream;
}

/**
 * Creates the root logger. Children carry an `ns` field: `log.child({ ns: 'gateway:ws' })`.
 */
export async function createLog(options: CreateLogOptions = {}): Promise<Log> {
  const level = options.level ?? process.env.SWITCHBOARD_LOG_LEVEL ?? 'info';
  const pretty = options.pretty ?? (process.stderr.isTTY === true && !options.destination);
  const repeats = new Map<string, Repeat>();

  const pinoOptions: LoggerOptions = {
    level,
    base: undefined,
    redact: {
      paths: ['token', 'password', 'auth', '*.token', '*.password', '*.auth', '*.deviceToken', 'secret', '*.secret', 'apiKey', '*.apiKey'],
      censor: REDACTED,
    },
    hooks: {
      logMethod(args, method, levelNumber) {
        const scrubbed = args.map((a) => scrubValue(a)) as typeof args;
        const msg = scrubbed.find((a) => typeof a === 'string') as string | undefined;
        const bindings = (this as Logger).bindings?.() as { ns?: string } | undefined;
        const key = `${levelNumber}|${bindings?.ns ?? ''}|${msg ?? ''}`;
        const now = Date.now();
        const seen = repeats.get(key);
        if (seen && seen.until > now) {
          seen.suppressed++;
          return;
        }
        if (repeats.size >= DEDUPE_MAX_KEYS) repeats.clear();
        repeats.set(key, { until: now + DEDUPE_WINDOW_MS, suppressed: 0 });
        if (seen && seen.suppressed > 0 && typeof scrubbed[0] === 'object' && scrubbed[0] !== null) {
          (scrubbed[0] as Record<string, unknown>).repeated = seen.suppressed;
        } else if (seen && seen.suppressed > 0) {
          scrubbed.unshift({ repeated: seen.suppressed } as never);
        }
        method.apply(this, scrubbed);
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
  return pino(pinoOptions, pino.destination({ dest: 2, sync: false }));
}

/** A logger that drops everything (tests, library use). */
export function silentLog(): Log {
  return pino({ level: 'silent' });
}
