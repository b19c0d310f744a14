/**
 * Validators compiled once from the protocol tables. The gateway calls {@link compileValidators}
 * at boot (a schema that fails to compile stops start-up, naming the method); tests and the SDK
 * may call it too. Errors are formatted as short readable sentences, never raw ajv objects.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { TSchema } from '@sinclair/typebox';
import { ConnectParams } from './connect.js';
import { EventFrame, RequestFrame, ResponseFrame } from './frames.js';
import { methods, type MethodName } from './methods.js';
import { events, type EventName } from './events.js';

export type { ValidateFunction } from 'ajv';

/** Every validator the protocol needs, keyed by frame kind, method and event. */
export interface ProtocolValidators {
  readonly requestFrame: ValidateFunction;
  readonly responseFrame: ValidateFunction;
  readonly eventFrame: ValidateFunction;
  readonly connectParams: ValidateFunction;
  /** `req.params` per method. */
  readonly params: ReadonlyMap<MethodName, ValidateFunction>;
  /** `res.payload` per method (and `final` for two-answer methods); only with `{ results: true }`. */
  readonly results: ReadonlyMap<MethodName, { result: ValidateFunction; final?: ValidateFunction }>;
  /** Event payloads; only with `{ events: true }`. */
  readonly events: ReadonlyMap<EventName, ValidateFunction>;
}

export interface CompileOptions {
  /** Also compile result validators (tests, strict clients). Default false: the server trusts its own output. */
  results?: boolean;
  /** Also compile event payload validators. Default false. */
  events?: boolean;
}

/** Thrown at boot when a schema does not compile; names the table entry. */
export class SchemaCompileError extends Error {
  constructor(readonly entry: string, cause: unknown) {
    super(`protocol schema for "${entry}" does not compile: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'SchemaCompileError';
  }
}

/** Creates the shared ajv instance with the options every validator uses. */
export function createAjv(): Ajv {
  // strict:false because TypeBox adds annotation keywords (discriminator) ajv does not know.
  return new Ajv({ allErrors: true, strict: false, removeAdditional: false, useDefaults: false, coerceTypes: false });
}

function compileNamed(ajv: Ajv, entry: string, schema: TSchema): ValidateFunction {
  try {
    return ajv.compile(schema);
  } catch (err) {
    throw new SchemaCompileError(entry, err);
  }
}

/** Compiles the frame, connect, params (and optionally result and event) validators. */
export function compileValidators(options: CompileOptions = {}): ProtocolValidators {
  const ajv = createAjv();
  const params = new Map<MethodName, ValidateFunction>();
  const results = new Map<MethodName, { result: ValidateFunction; final?: ValidateFunction }>();
  for (const [name, spec] of Object.entries(methods) as [MethodName, (typeof methods)[MethodName]][]) {
    params.set(name, compileNamed(ajv, `${name} params`, spec.params));
    if (options.results) {
      const final = 'final' in spec && spec.final ? compileNamed(ajv, `${name} final`, spec.final as TSchema) : undefined;
      results.set(name, { result: compileNamed(ajv, `${name} result`, spec.result), final });
    }
  }
  const eventValidators = new Map<EventName, ValidateFunction>();
  if (options.events) {
    for (const [name, spec] of Object.entries(events) as [EventName, (typeof events)[EventName]][]) {
      eventValidators.set(name, compileNamed(ajv, `${name} event`, spec.payload));
    }
  }
  return {
    requestFrame: compileNamed(ajv, 'RequestFrame', RequestFrame),
    responseFrame: compileNamed(ajv, 'ResponseFrame', ResponseFrame),
    eventFrame: compileNamed(ajv, 'EventFrame', EventFrame),
    connectParams: params.get('connect') ?? compileNamed(ajv, 'connect params', ConnectParams),
    params,
    results,
    events: eventValidators,
  };
}

const MAX_REPORTED_ERRORS = 5;

/**
 * Turns ajv errors into one readable line, e.g.
 * `at /client: missing property 'version'; at /: unexpected property 'foo'`.
 */
export function formatValidationErrors(errors: readonly ErrorObject[] | null | undefined): string {
  if (!errors || errors.length === 0) return 'invalid value';
  const parts: string[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const line = `at ${e.instancePath || '/'}: ${describe(e)}`;
    if (seen.has(line)) continue;
    seen.add(line);
    parts.push(line);
    if (parts.length === MAX_REPORTED_ERRORS) break;
  }
  const more = errors.length > parts.length ? ` (and ${errors.length - parts.length} more)` : '';
  return parts.join('; ') + more;
}

function describe(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return `unexpected property '${String(p.additionalProperty)}'`;
    case 'required':
      return `missing property '${String(p.missingProperty)}'`;
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}`;
    case 'type':
      return `must be ${String(p.type)}`;
    default:
      return e.message ?? e.keyword;
  }
}
