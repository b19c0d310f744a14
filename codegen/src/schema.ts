/**
 * Builds `protocol.schema.json` from the protocol tables: a draft-07 document whose `definitions`
 * hold every frame, every named shape, and `<Method>Params` / `<Method>Result` / `<Method>Final` /
 * `<Event>Event` for every table entry, plus `methods` / `events` maps and a root `oneOf` over the
 * three frames with a `discriminator` on `type`.
 *
 * Sub-schemas become `#/definitions/X` refs instead of being copied, so the generated models read
 * well (deps.md §3): a schema object the protocol exports keeps its export name; an anonymous
 * object or string enum nested in another definition is hoisted as `<Owner><Property>`, so no code
 * generator has to invent a name (quicktype's `Purple…`/`Fluffy…`). TypeBox `$id`/`$ref` pairs are
 * rewritten to `#/definitions/` refs, because json-schema-to-typescript reads a bare `$ref` as a file,
 * and a `Type.Record` map becomes `additionalProperties` (quicktype turns `patternProperties` into Any).
 */
import type { TSchema } from '@sinclair/typebox';
import type { EventSpec, MethodSpec } from '@switchboard/protocol';
import { pascalCase, STAMP } from './names.js';

/** A JSON Schema node (plain JSON: no TypeBox symbols). */
export type JsonSchema = { [keyword: string]: unknown };

/** What the generators read: the two tables and the protocol's named shapes. */
export interface ProtocolInput {
  readonly protocolVersion: number;
  readonly methods: Readonly<Record<string, MethodSpec>>;
  readonly events: Readonly<Record<string, EventSpec>>;
  /** Object schemas that have a name of their own (the protocol package's exports), by name. */
  readonly shapes: Readonly<Record<string, TSchema>>;
}

/** One `methods` entry of the document. */
export interface MethodEntry {
  params: JsonSchema;
  result: JsonSchema;
  final?: JsonSchema;
  access: string;
  sideEffect: boolean;
  summary: string;
}

/** One `events` entry of the document. */
export interface EventEntry {
  payload: JsonSchema;
  access?: string;
  droppable: boolean;
  targeted: boolean;
  summary: string;
}

/** The generated document. Key order is the output order. */
export interface ProtocolSchema {
  $comment: string;
  $schema: string;
  title: string;
  description: string;
  protocolVersion: number;
  oneOf: JsonSchema[];
  discriminator: { propertyName: 'type'; mapping: Record<string, string> };
  methods: Record<string, MethodEntry>;
  events: Record<string, EventEntry>;
  definitions: Record<string, JsonSchema>;
}

/** The frame definitions, by their `type` discriminator value. */
export const FRAME_DEFINITIONS = { req: 'RequestFrame', res: 'ResponseFrame', event: 'EventFrame' } as const;
/** Shapes that must exist in the input because the frames need them. */
const REQUIRED_SHAPES = ['RequestFrame', 'ResponseFrame', 'EventFrame', 'ErrorShape', 'StateVersion'];

/** Builds a `#/definitions/` reference. */
export function ref(name: string): JsonSchema {
  return { $ref: `#/definitions/${name}` };
}

/** The definition name a `#/definitions/X` ref points at, or undefined for any other node. */
export function refName(node: unknown): string | undefined {
  const r = (node as JsonSchema | undefined)?.$ref;
  return typeof r === 'string' && r.startsWith('#/definitions/') ? r.slice('#/definitions/'.length) : undefined;
}

/**
 * Walks TypeBox schemas into named JSON Schema definitions. One instance builds one document;
 * names are tied to schema object identity, so a shape reused in ten places is defined once.
 */
class DefinitionTable {
  readonly definitions = new Map<string, JsonSchema>();
  private readonly nameOf = new Map<object, string>();
  private readonly schemaOf = new Map<string, object>();
  /** Named shapes by their JSON text: `Type.Optional(X)` is a copy of X, so identity alone misses it. */
  private readonly nameOfJson = new Map<string, string>();

  constructor(shapes: Readonly<Record<string, TSchema>>) {
    for (const name of Object.keys(shapes).sort()) {
      this.claim(shapes[name], name);
      const json = JSON.stringify(shapes[name]);
      if (!this.nameOfJson.has(json)) this.nameOfJson.set(json, name);
    }
  }

  /** The name a schema already has: by identity, by TypeBox `$id`, or as an optional copy of a shape or named enum. */
  private existingName(node: JsonSchema): string | undefined {
    const named = this.nameOf.get(node) ?? (typeof node.$id === 'string' ? node.$id : undefined);
    if (named !== undefined || !(isStructObject(node) || isStringEnum(node))) return named;
    const copyOf = this.nameOfJson.get(JSON.stringify(node));
    if (copyOf !== undefined) this.nameOf.set(node, copyOf);
    return copyOf;
  }

  /** Ties a schema object to a name; a name can only ever mean one schema. */
  private claim(schema: object, name: string): void {
    if (this.nameOf.has(schema)) return;
    if (this.schemaOf.has(name)) {
      throw new Error(`two different schemas want the definition name "${name}"; rename one of the exports or table entries`);
    }
    this.nameOf.set(schema, name);
    this.schemaOf.set(name, schema);
  }

  /** Defines `name` as `schema` (once) and returns the name. */
  define(name: string, schema: TSchema | JsonSchema): string {
    this.claim(schema, name);
    const existing = this.nameOf.get(schema)!;
    if (!this.definitions.has(existing)) {
      this.definitions.set(existing, {}); // reserve the slot so parents come before children
      this.definitions.set(existing, this.convertBody(schema as JsonSchema, existing));
    }
    return existing;
  }

  /**
   * Defines `name` for a table entry: the schema itself when it has no name yet, else an alias
   * (`{ $ref }`) to its own definition, so every method and event has its `<Pascal>…` definition.
   */
  defineEntry(name: string, schema: TSchema): string {
    const own = this.existingName(schema as JsonSchema);
    if (own === undefined || own === name) return this.define(name, schema);
    this.define(own, schema);
    if (!this.definitions.has(name)) {
      this.claim({ alias: name }, name);
      this.definitions.set(name, ref(own));
    }
    return name;
  }

  /** Defines a definition that is already plain JSON Schema (the frame union). */
  defineRaw(name: string, schema: JsonSchema): void {
    this.claim(schema, name);
    this.definitions.set(name, schema);
  }

  /** Converts a definition's own body: its children may become refs, the node itself does not. */
  private convertBody(node: JsonSchema, owner: string): JsonSchema {
    const out: JsonSchema = {};
    for (const key of orderedKeys(node)) {
      if (key === '$id') continue;
      const value = node[key];
      if (key === 'properties' && isPlainObject(value)) {
        const props: JsonSchema = {};
        for (const [prop, sub] of Object.entries(value)) props[prop] = this.convert(sub, owner + pascalCase(prop));
        out.properties = props;
      } else if ((key === 'items' || key === 'additionalProperties' || key === 'not') && isPlainObject(value)) {
        out[key] = this.convert(value, key === 'additionalProperties' ? `${owner}Value` : owner);
      } else if ((key === 'anyOf' || key === 'oneOf' || key === 'allOf') && Array.isArray(value)) {
        out[key] = value.map((sub, i) => this.convert(sub, `${owner}Variant${i + 1}`));
      } else if (key === 'patternProperties' && isAnyKeyPattern(value)) {
        // Type.Record(String, X): a map. As `additionalProperties` every generator makes it a dictionary.
        out.additionalProperties = this.convert(Object.values(value)[0], `${owner}Value`);
      } else if (key === '$ref' && typeof value === 'string' && !value.startsWith('#')) {
        out.$ref = `#/definitions/${value}`; // a TypeBox Type.Ref by $id
      } else {
        out[key] = cloneJson(value);
      }
    }
    return out;
  }

  /** Converts a nested node: named or hoistable schemas become refs, others are copied. */
  private convert(node: unknown, hint: string): unknown {
    if (!isPlainObject(node)) return cloneJson(node);
    const named = this.existingName(node);
    if (named !== undefined) return ref(this.define(named, node));
    if (isStructObject(node) || isStringEnum(node)) return ref(this.define(hint, node));
    return this.convertBody(node, hint);
  }
}

/** Keywords in reading order: what it is first, then its parts, then the rest as TypeBox wrote them. */
const KEY_ORDER = ['$ref', 'title', 'description', 'type', 'const', 'enum', 'required', 'properties', 'additionalProperties', 'items'];

function orderedKeys(node: JsonSchema): string[] {
  const keys = Object.keys(node);
  const rank = (k: string) => (KEY_ORDER.includes(k) ? KEY_ORDER.indexOf(k) : KEY_ORDER.length);
  return keys.map((k, i) => ({ k, i })).sort((a, b) => rank(a.k) - rank(b.k) || a.i - b.i).map((e) => e.k);
}

function isPlainObject(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `patternProperties` with the one match-anything pattern TypeBox's Record emits. */
function isAnyKeyPattern(value: unknown): value is JsonSchema {
  return isPlainObject(value) && Object.keys(value).length === 1 && (Object.keys(value)[0] === '^(.*)$' || Object.keys(value)[0] === '^.*$');
}

/** An object schema with declared properties (a struct, not a map or an open JSON object). */
function isStructObject(node: JsonSchema): boolean {
  return node.type === 'object' && isPlainObject(node.properties) && Object.keys(node.properties).length > 0;
}

/** A string enum with more than one value (a single value is a literal and stays inline). */
function isStringEnum(node: JsonSchema): boolean {
  return node.type === 'string' && Array.isArray(node.enum) && node.enum.length > 1;
}

/** A deep copy that drops TypeBox's symbol keys and undefined values. */
function cloneJson<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}

/** Every `#/definitions/` ref in a node. */
function collectRefs(node: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(node)) for (const v of node) collectRefs(v, into);
  else if (isPlainObject(node)) {
    const name = refName(node);
    if (name !== undefined) into.add(name);
    for (const v of Object.values(node)) collectRefs(v, into);
  }
  return into;
}

/** Builds the whole document from the tables. Throws if a name clashes or a ref dangles. */
export function buildProtocolSchema(input: ProtocolInput): ProtocolSchema {
  for (const name of REQUIRED_SHAPES) {
    if (!input.shapes[name]) throw new Error(`the protocol exports no "${name}" schema; codegen needs it for the frames`);
  }
  const table = new DefinitionTable(input.shapes);
  const mapping: Record<string, string> = {};
  for (const [type, name] of Object.entries(FRAME_DEFINITIONS)) {
    table.define(name, input.shapes[name]);
    mapping[type] = `#/definitions/${name}`;
  }
  const frameUnion = Object.values(FRAME_DEFINITIONS).map(ref);
  table.defineRaw('GatewayFrame', { oneOf: frameUnion, discriminator: { propertyName: 'type', mapping } });
  table.define('ErrorShape', input.shapes.ErrorShape);
  table.define('StateVersion', input.shapes.StateVersion);

  const methods: Record<string, MethodEntry> = {};
  for (const [name, spec] of Object.entries(input.methods)) {
    const stem = pascalCase(name);
    methods[name] = {
      params: ref(table.defineEntry(`${stem}Params`, spec.params)),
      result: ref(table.defineEntry(`${stem}Result`, spec.result)),
      ...(spec.final ? { final: ref(table.defineEntry(`${stem}Final`, spec.final)) } : {}),
      access: spec.access,
      sideEffect: spec.sideEffect,
      summary: spec.summary,
    };
  }
  const events: Record<string, EventEntry> = {};
  for (const [name, spec] of Object.entries(input.events)) {
    events[name] = {
      payload: ref(table.defineEntry(`${pascalCase(name)}Event`, spec.payload)),
      ...(spec.access !== undefined ? { access: spec.access } : {}),
      droppable: spec.droppable,
      targeted: spec.targeted === true,
      summary: spec.summary,
    };
  }
  // Exported shapes no table entry reaches still get a definition (clients may want them).
  for (const name of Object.keys(input.shapes).sort()) table.define(name, input.shapes[name]);

  const definitions = Object.fromEntries(table.definitions);
  const dangling = [...collectRefs([definitions, methods, events], new Set())].filter((n) => !(n in definitions));
  if (dangling.length) throw new Error(`refs to undefined definitions: ${dangling.join(', ')}`);
  return {
    $comment: STAMP,
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'Switchboard Gateway Protocol',
    description: `Frames, handshake, methods and events of the Switchboard gateway (OpenClaw gateway protocol v${input.protocolVersion} on the wire).`,
    protocolVersion: input.protocolVersion,
    oneOf: frameUnion,
    discriminator: { propertyName: 'type', mapping },
    methods,
    events,
    definitions,
  };
}
