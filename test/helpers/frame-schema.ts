/**
 * Checks frames against the generated JSON Schema (codegen/generated/protocol.schema.json), the
 * artifact other-language clients build on: every frame against `GatewayFrame`; an ok `res` to a
 * method in the schema against its result definition (the second answer of a two-answer method
 * against its final one); an event against its payload definition. Violations are collected, not
 * thrown, because frames arrive in socket callbacks; test/setup/frame-schema.ts fails the test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { addFrameCheck, type FrameCheck, type FrameContext } from './frames.js';

/** The parts of the generated document the check reads. */
export interface GeneratedSchema {
  methods: Record<string, { result: { $ref: string }; final?: { $ref: string } }>;
  events: Record<string, { payload: { $ref: string } }>;
  definitions: Record<string, unknown>;
}

export const GENERATED_SCHEMA_PATH = join(__dirname, '..', '..', 'codegen', 'generated', 'protocol.schema.json');

/** Reads the committed generated schema. */
export function loadGeneratedSchema(): GeneratedSchema {
  return JSON.parse(readFileSync(GENERATED_SCHEMA_PATH, 'utf8')) as GeneratedSchema;
}

/** A frame check plus the violations it found so far. */
export interface SchemaCheck {
  readonly check: FrameCheck;
  /** Returns and clears the violations found since the last call. */
  take(): string[];
}

/** Builds a check for `schema` (validators compile lazily, once per definition). */
export function createSchemaCheck(schema: GeneratedSchema): SchemaCheck {
  // `discriminator` stays an annotation here: ajv's implementation rejects its `mapping`, and oneOf
  // already validates the union exactly.
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addSchema(schema as object, 'protocol');
  const compiled = new Map<string, ValidateFunction>();
  const validator = (ref: string): ValidateFunction => {
    let v = compiled.get(ref);
    if (!v) {
      v = ajv.getSchema(`protocol${ref}`);
      if (!v) throw new Error(`the generated schema has no ${ref}`);
      compiled.set(ref, v);
    }
    return v;
  };
  const violations: string[] = [];
  const verify = (ref: string, value: unknown, frame: unknown, what: string): void => {
    const v = validator(ref);
    if (v(value)) return;
    violations.push(`${what} does not match ${ref.replace('#/definitions/', '')}: ${ajv.errorsText(v.errors)}\n  frame: ${JSON.stringify(frame).slice(0, 400)}`);
  };
  const checkFrame = (frame: unknown, context: FrameContext): void => {
    verify('#/definitions/GatewayFrame', frame, frame, 'frame');
    const f = frame as { type?: unknown; ok?: unknown; payload?: unknown; event?: unknown };
    if (f.type === 'res' && f.ok === true && context.method !== undefined) {
      const spec = schema.methods[context.method];
      if (!spec) return void violations.push(`ok answer to "${context.method}", a method the generated schema lacks: run pnpm codegen`);
      const ref = (context.answer ?? 1) > 1 && spec.final ? spec.final.$ref : spec.result.$ref;
      verify(ref, f.payload, frame, `result of ${context.method}`);
    } else if (f.type === 'event' && typeof f.event === 'string') {
      const spec = schema.events[f.event];
      if (!spec) return void violations.push(`event "${f.event}" is not in the generated schema: run pnpm codegen`);
      verify(spec.payload.$ref, f.payload, frame, `payload of event ${f.event}`);
    }
  };
  // Runs inside socket callbacks: report a failing check as a violation instead of throwing there.
  const check = (frame: unknown, context: FrameContext): void => {
    try {
      checkFrame(frame, context);
    } catch (err) {
      violations.push(`schema check failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  return { check, take: () => violations.splice(0) };
}

let installed: SchemaCheck | undefined;

/** Installs the generated-schema check on the frame recorder (once per test file). */
export function installSchemaCheck(): SchemaCheck {
  if (!installed) {
    installed = createSchemaCheck(loadGeneratedSchema());
    addFrameCheck(installed.check);
  }
  return installed;
}

/** The violations the installed check found since the last call (and clears them). */
export function takeSchemaViolations(): string[] {
  return installed?.take() ?? [];
}
