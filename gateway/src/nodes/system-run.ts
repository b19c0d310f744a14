/**
 * `system.run` params as the gateway accepts them for any node (OpenClaw's field names): the argv
 * to run, never a shell string, plus `cwd`, `env` and `timeoutMs`. The schema is closed, so what an
 * operator approves is exactly what the node receives: a field the approval did not show (such as
 * OpenClaw's `rawCommand`, which a node may hand to a shell) is refused instead of passed along.
 */
import { GatewayError } from '@switchboard/protocol';
import { createAjv, formatValidationErrors, type ValidateFunction } from '@switchboard/protocol/validators';

/** Validated `system.run` params. */
export interface SystemRunParams {
  command: string[];
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['command'],
  properties: {
    command: { type: 'array', minItems: 1, maxItems: 256, items: { type: 'string', maxLength: 8192 } },
    cwd: { type: 'string', minLength: 1, maxLength: 4096 },
    env: { type: 'object', maxProperties: 64, additionalProperties: { type: 'string', maxLength: 8192 } },
    timeoutMs: { type: 'integer', minimum: 1, maximum: 600_000 },
  },
};

// Compiled on first use, not at import: the first ajv compile in a process costs tens of
// milliseconds, which the daemon's start-up should not pay for a command it may never see.
let validate: ValidateFunction | undefined;

/** Checks `system.run` params; throws INVALID_REQUEST that says what to send instead. */
export function parseSystemRunParams(params: unknown): SystemRunParams {
  validate ??= createAjv().compile(schema);
  if (!validate(params)) {
    throw new GatewayError('INVALID_REQUEST',
      `invalid system.run params: ${formatValidationErrors(validate.errors)}; send {command: ["uname", "-a"], cwd?, env?, timeoutMs?} (argv, never a shell string)`);
  }
  const p = params as unknown as SystemRunParams;
  if (p.command[0].length === 0) throw new GatewayError('INVALID_REQUEST', 'invalid system.run params: command[0] (the program) is empty');
  return p;
}

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** The argv as one line for people: arguments quoted the way a POSIX shell would need them. */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((a) => (a.length > 0 && SAFE.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/**
 * An exec allowlist entry: an exact argv, which matches only calls that name no working directory,
 * or an argv bound to one working directory (`make test` in /src is not `make test` anywhere).
 */
export type ExecAllowEntry = string[] | { command: string[]; cwd: string };

/**
 * The identity of a command for allowlists: its exact argv, plus its `cwd` when it names one.
 * An argv alone keeps the form rows had before cwds were bound (a JSON array), so they still mean
 * "only without a cwd".
 */
export function allowKey(argv: readonly string[], cwd?: string): string {
  return cwd === undefined ? JSON.stringify(argv) : JSON.stringify({ command: argv, cwd });
}

/** The key of an entry (see {@link allowKey}). */
export function entryKey(entry: ExecAllowEntry): string {
  return Array.isArray(entry) ? allowKey(entry) : allowKey(entry.command, entry.cwd);
}

/** Reads an entry back from its key. */
export function entryOf(key: string): ExecAllowEntry {
  const v = JSON.parse(key) as ExecAllowEntry;
  return Array.isArray(v) ? v : { command: v.command, cwd: v.cwd };
}
