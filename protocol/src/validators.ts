/**
 * Validators compiled once from the protocol tables. The gateway calls {@link compileValidators}
 * at boot (a schema that fails to compile stops start-up, naming the method); tests and the SDK
 * may call it too. Errors are formatted as short readable sentences, never raw ajv objects.
 *
 * Compiling costs the daemon's start-up most of its time (ajv generates and evaluates code for
 * every method), so `pnpm build` also compiles the same entries ahead of time into standalone code
 * (`precompile.ts`). At boot each of those is used only if the fingerprint of the schema it was
 * compiled from equals the fingerprint of the schema in the table now; any other entry is compiled
 * on the spot. Either way every validator comes from the current table and has compiled.
 */
import { createHash } from 'node:crypto';
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

/** The options of every ajv instance (and of the code `pnpm build` compiles ahead of time). */
export const AJV_OPTIONS = { allErrors: true, strict: false, removeAdditional: false, useDefaults: false, coerceTypes: false } as const;

/** Creates the shared ajv instance with the options every validator uses. */
export function createAjv(): Ajv {
  // strict:false because TypeBox adds annotation keywords (discriminator) ajv does not know.
  return new Ajv({ ...AJV_OPTIONS });
}

/**
 * Identifies what a validator is compiled from: the schema as JSON and the ajv options. Two equal
 * fingerprints mean the same generated code.
 */
export function schemaFingerprint(schema: unknown): string {
  return createHash('sha256').update(JSON.stringify(AJV_OPTIONS)).update('\n').update(JSON.stringify(schema)).digest('hex');
}

/** One validator compiled ahead of time, with the fingerprint of the schema it came from. */
export interface PrecompiledEntry {
  readonly fingerprint: string;
  readonly validate: ValidateFunction;
}

/** Validators compiled by `pnpm build`, by entry name (`connect params`, `RequestFrame`, ...). */
export type PrecompiledValidators = Readonly<Record<string, PrecompiledEntry>>;

/** Where each validator of a {@link compileValidators} call came from. */
export interface CompileReport {
  /** Entries taken from the precompiled set (their fingerprints matched). */
  reused: number;
  /** Entries compiled by this call (no precompiled set, or it was built from another schema). */
  compiled: string[];
}

/** The entries {@link compileValidators} builds by default, in order: name and schema. */
export function defaultEntries(): Array<[entry: string, schema: TSchema]> {
  const list: Array<[string, TSchema]> = [['RequestFrame', RequestFrame], ['ResponseFrame', ResponseFrame], ['EventFrame', EventFrame]];
  for (const [name, spec] of Object.entries(methods)) list.push([`${name} params`, spec.params]);
  return list;
}

/** Compiles schemas by entry name, reusing precompiled code whose fingerprint matches. */
class EntryCompiler {
  private ajv: Ajv | undefined;
  readonly report: CompileReport = { reused: 0, compiled: [] };

  constructor(private readonly precompiled: PrecompiledValidators | undefined) {}

  compile(entry: string, schema: TSchema): ValidateFunction {
    const ready = this.precompiled?.[entry];
    if (ready && ready.fingerprint === schemaFingerprint(schema)) {
      this.report.reused++;
      return ready.validate;
    }
    this.report.compiled.push(entry);
    try {
      this.ajv ??= createAjv();
      return this.ajv.compile(schema);
    } catch (err) {
      throw new SchemaCompileError(entry, err);
    }
  }
}

/**
 * Compiles the frame, connect, params (and optionally result and event) validators. With
 * `precompiled` (see {@link loadPrecompiledValidators}), an entry whose schema is unchanged since
 * `pnpm build` reuses the code compiled then; `report` says how many did.
 */
export function compileValidators(options: CompileOptions & { precompiled?: PrecompiledValidators } = {}): ProtocolValidators & { report: CompileReport } {
  const compiler = new EntryCompiler(options.precompiled);
  const params = new Map<MethodName, ValidateFunction>();
  const results = new Map<MethodName, { result: ValidateFunction; final?: ValidateFunction }>();
  for (const [name, spec] of Object.entries(methods) as [MethodName, (typeof methods)[MethodName]][]) {
    params.set(name, compiler.compile(`${name} params`, spec.params));
    if (options.results) {
      const final = 'final' in spec && spec.final ? compiler.compile(`${name} final`, spec.final as TSchema) : undefined;
      results.set(name, { result: compiler.compile(`${name} result`, spec.result), final });
    }
  }
  const eventValidators = new Map<EventName, ValidateFunction>();
  if (options.events) {
    for (const [name, spec] of Object.entries(events) as [EventName, (typeof events)[EventName]][]) {
      eventValidators.set(name, compiler.compile(`${name} event`, spec.payload));
    }
  }
  return {
    requestFrame: compiler.compile('RequestFrame', RequestFrame),
    responseFrame: compiler.compile('ResponseFrame', ResponseFrame),
    eventFrame: compiler.compile('EventFrame', EventFrame),
    connectParams: params.get('connect') ?? compiler.compile('connect params', ConnectParams),
    params,
    results,
    events: eventValidators,
    report: compiler.report,
  };
}

/** The package path of the module `pnpm build` writes (protocol/dist/precompiled-validators.js). */
export const PRECOMPILED_MODULE = '@switchboard/protocol/precompiled';

/** What {@link loadPrecompiledValidators} found. */
export interface PrecompiledLoad {
  /** The validators, when the module exists and loaded. */
  table?: PrecompiledValidators;
  /** Why an existing module could not be used (everything is then compiled at boot). */
  problem?: string;
}

/**
 * Loads the validators `pnpm build` compiled ahead of time. None (and no problem) in a checkout that
 * was not built, or where tests import TypeScript sources. A module that exists but does not load
 * is a problem to report, not a reason to stop: {@link compileValidators} then compiles every entry.
 * The specifier is a variable so that neither TypeScript nor a bundler resolves the generated file.
 */
export async function loadPrecompiledValidators(): Promise<PrecompiledLoad> {
  const specifier: string = PRECOMPILED_MODULE;
  try {
    const mod = (await import(specifier)) as { precompiledValidators?: PrecompiledValidators };
    if (mod.precompiledValidators && typeof mod.precompiledValidators === 'object') return { table: mod.precompiledValidators };
    return { problem: `${specifier} has no precompiledValidators export; run pnpm build` };
  } catch (err) {
    const code = (err as { code?: string }).code;
    const missing = (code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes('precompiled-validators'))
      || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED';
    if (missing) return {};
    return { problem: `${specifier} did not load (${err instanceof Error ? err.message : String(err)}); run pnpm build` };
  }
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
