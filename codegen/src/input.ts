/**
 * Reads the generators' input from `@switchboard/protocol`: the method and event tables, and every
 * exported object schema as a named shape. A new area is picked up as soon as `methods.ts`,
 * `events.ts` and `index.ts` include it; codegen needs no change.
 */
import { Kind, type TSchema } from '@sinclair/typebox';
import * as protocol from '@switchboard/protocol';
import type { ProtocolInput } from './schema.js';

/** Whether an export is a TypeBox object schema (a struct worth a name of its own). */
function isObjectSchema(value: unknown): value is TSchema {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[Kind] === 'Object';
}

/** The protocol as the generators see it. Export names are sorted, so the result is stable. */
export function protocolInput(): ProtocolInput {
  const shapes: Record<string, TSchema> = {};
  for (const [name, value] of Object.entries(protocol)) {
    if (isObjectSchema(value)) shapes[name] = value;
  }
  return {
    protocolVersion: protocol.PROTOCOL_VERSION,
    methods: protocol.methods,
    events: protocol.events,
    shapes,
  };
}
