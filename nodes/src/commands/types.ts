/**
 * What a node host command is: a name, a params schema (checked before it runs) and `run`. A
 * command returns a JSON-serialisable payload or throws a {@link CommandError} whose code and
 * message go back to the gateway in `node.invoke.result.error`.
 */
import { createAjv, formatValidationErrors, type ValidateFunction } from '@switchboard/protocol/validators';

/** Limits the host applies to every command. */
export interface HostLimits {
  /** Bytes of stdout and of stderr `system.run` keeps (head and tail). Default 64 KiB. */
  maxOutputBytes: number;
  /** `system.run` timeout when the call names none. Default 60 s. */
  defaultRunTimeoutMs: number;
}

/** What a running command gets. */
export interface CommandContext {
  /** Fires when the gateway cancels the invoke or the host stops. */
  signal: AbortSignal;
  limits: HostLimits;
  /** The host's environment (PATH for lookups, the base of a child's environment). */
  env: NodeJS.ProcessEnv;
  /** Writes one line to the host's log. */
  log(line: string): void;
}

/** A failure the gateway should see with a code. */
export class CommandError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

/** One command. */
export interface NodeCommand {
  readonly name: string;
  /** What it does, for `--help` and logs. */
  readonly summary: string;
  run(params: unknown, ctx: CommandContext): Promise<unknown>;
}

const ajv = createAjv();

/** Compiles a params schema once; the returned check throws INVALID_REQUEST saying what is wrong. */
export function paramsChecker<T>(command: string, schema: Record<string, unknown>): (params: unknown) => T {
  const validate: ValidateFunction = ajv.compile(schema);
  return (params) => {
    if (!validate(params)) throw new CommandError('INVALID_REQUEST', `invalid ${command} params: ${formatValidationErrors(validate.errors)}`);
    return params as T;
  };
}
