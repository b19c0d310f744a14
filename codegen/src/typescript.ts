/**
 * `protocol.d.ts`: TypeScript declarations for programs outside this workspace (the SDK itself
 * infers its types from the method table and needs none of this). json-schema-to-typescript only
 * declares unreferenced definitions under an object root, so the root is a `SwitchboardProtocol`
 * interface mapping every method to its params/result and every event to its payload.
 */
import { compile } from 'json-schema-to-typescript';
import { refName, type JsonSchema, type ProtocolSchema } from './schema.js';
import { STAMP } from './names.js';

function closedObject(properties: Record<string, unknown>): JsonSchema {
  return { type: 'object', properties, required: Object.keys(properties), additionalProperties: false };
}

/** The root the declarations are compiled from: the two tables as one interface, plus every definition. */
function declarationRoot(doc: ProtocolSchema): JsonSchema {
  const methods = Object.fromEntries(Object.entries(doc.methods).map(([name, m]) => [
    name,
    closedObject({ params: m.params, result: m.result, ...(m.final ? { final: m.final } : {}) }),
  ]));
  const events = Object.fromEntries(Object.entries(doc.events).map(([name, e]) => [name, e.payload]));
  return {
    title: 'SwitchboardProtocol',
    description: 'Every method (params, result, final) and every event payload of the protocol, by name.',
    ...closedObject({ methods: closedObject(methods), events: closedObject(events) }),
    definitions: doc.definitions,
  };
}

/** json-schema-to-typescript notes on every definition where it came from; here that is noise. */
function dropProvenanceComments(ts: string): string {
  const note = / \* This interface was referenced by `[^`]+`'s JSON-Schema\n \* via the `definition` "[^"]+"\.\n/g;
  return ts
    .replace(note, '')
    .replace(/( \*\n)+ \*\//g, ' */') // a description followed only by removed notes
    .replace(/\/\*\*\n \*\/\n/g, ''); // blocks that held nothing but notes
}

/**
 * Alias definitions (`HealthResult` → `HealthSummary`) are inlined by the compiler; declare their
 * names too, so every `<Method>Params`/`Result` and `<Event>Event` in the schema exists in TypeScript.
 */
function aliasDeclarations(doc: ProtocolSchema): string {
  const lines = Object.entries(doc.definitions)
    .filter(([, def]) => refName(def) !== undefined)
    .map(([name, def]) => `export type ${name} = ${refName(def)};`);
  return [
    ...lines,
    '',
    '/** Every method name. */',
    "export type MethodName = keyof SwitchboardProtocol['methods'];",
    '/** Every event name. */',
    "export type EventName = keyof SwitchboardProtocol['events'];",
    '',
  ].join('\n');
}

/** Renders `protocol.d.ts`. */
export async function renderTypeScript(doc: ProtocolSchema): Promise<string> {
  // compile() normalises its input in place; give it a copy.
  const root = JSON.parse(JSON.stringify(declarationRoot(doc)));
  const body = await compile(root, 'SwitchboardProtocol', {
    bannerComment: `// ${STAMP}\n// TypeScript declarations of the Switchboard gateway protocol (json-schema-to-typescript).`,
    unreachableDefinitions: true,
    additionalProperties: false,
    declareExternallyReferenced: true,
    strictIndexSignatures: false,
    format: true,
  });
  return `${dropProvenanceComments(body).trimEnd()}\n\n${aliasDeclarations(doc)}`;
}
