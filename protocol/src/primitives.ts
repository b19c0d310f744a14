/**
 * Small schema building blocks shared by every protocol area.
 *
 * Every object on the wire is closed (`additionalProperties: false`), as OpenClaw does, so a typo
 * in a field name is an `INVALID_REQUEST` instead of a silently ignored value.
 */
import { Type, type TProperties, type ObjectOptions, type TSchema } from '@sinclair/typebox';

/** A string with at least one character: ids, names, method names. */
export const NonEmptyString = Type.String({ minLength: 1 });

/** Milliseconds since the Unix epoch. */
export const TimestampMs = Type.Integer({ minimum: 0 });

/** A closed object: unknown properties are rejected. */
export function closedObject<T extends TProperties>(properties: T, options: ObjectOptions = {}) {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

/** `T | null`, for fields the protocol clears by sending `null`. */
export function Nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()]);
}

/**
 * The key that makes a side effect happen at most once. Required by every method the table marks
 * `sideEffect: true`; a retry with the same key returns the recorded result instead of repeating it.
 */
export const IdempotencyKey = Type.String({ minLength: 1, maxLength: 200 });

/** An open JSON object (string keys, any values), for payloads the protocol deliberately keeps loose. */
export const JsonObject = Type.Unsafe<Record<string, unknown>>({ type: 'object', additionalProperties: true });

/** A map from string keys to values of one schema (emitted as `additionalProperties`, which codegen maps to a dictionary). */
export function StringMap<T extends TSchema>(value: T) {
  return Type.Unsafe<Record<string, import('@sinclair/typebox').Static<T>>>({ type: 'object', additionalProperties: value });
}

/** Literal-union helper: `StringEnum(['a','b'])` → `'a' | 'b'`, emitted as `enum` in JSON Schema. */
export function StringEnum<const T extends readonly string[]>(values: T, options: { description?: string } = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}
