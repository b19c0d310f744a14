/**
 * Reads the generators' input from `@switchboard/protocol`: the method and event tables, and every
 * exported object schema as a named shape. A new area is picked up as soon as `methods.ts`,
 * `events.ts` and `index.ts` include it; codegen needs no change.
 */
import { Kind, type TSchema } from '@sinclair/typebox';
import * as protocol from '@switchboard/protocol';
import type { ProtocolInput } from './schema.js';

/**
 * Whether an export deserves a name of its own: a TypeBox object schema (a struct), or a string enum
 * of several values (so one enum used in several places is one type, not copies a generator merges).
 */
function isNamedShape(value: unknown): value is TSchema {
  if (typeof value !== 'object' || value === null) return false;
  const node = value as Record<string | symbol, unknown>;
  if (node[Kind] === 'Object') return true;
  return node.type === 'string' && Array.isArray(node.enum) && node.enum.length > 1;
}

/** The protocol as the generators see it. Export names are sorted, so the result is stable. */
export function protocolInput(): ProtocolInput {
  const shapes: Record<string, TSchema> = {};
  for (const [name, value] of Object.entries(protocol)) {
    if (isNamedShape(value)) shapes[name] = value;
  }
  return {
    protocolVersion: protocol.PROTOCOL_VERSION,
    methods: protocol.methods,
    events: protocol.events,
    shapes,
  };
}
