/**
 * Runs quicktype-core in process on the schema's definitions (deps.md §3.1). quicktype gets only the
 * definitions that are types of their own: alias definitions (`HealthResult` → `HealthSummary`)
 * would make it merge the two and keep the alias's name, and the frame union would collapse into
 * one struct with every field optional, so each language file adds its own frame wrapper and tables.
 */
import { FetchingJSONSchemaStore, InputData, JSONSchemaInput, quicktype } from 'quicktype-core';
import { looseKey, STAMP } from './names.js';
import { refName, type JsonSchema, type ProtocolSchema } from './schema.js';

/** The languages this project generates, with the renderer options each one uses. */
export const QUICKTYPE_TARGETS = {
  swift: { 'access-level': 'public', initializers: false, density: 'normal' },
  kotlin: { framework: 'kotlinx', package: 'switchboard.protocol' },
  python: { 'python-version': '3.7', 'nice-property-names': true },
} as const;
export type QuicktypeTarget = keyof typeof QUICKTYPE_TARGETS;

/** Definitions quicktype should turn into types: everything except aliases and the frame union. */
export function modelDefinitions(doc: ProtocolSchema): Record<string, JsonSchema> {
  return Object.fromEntries(Object.entries(doc.definitions).filter(([name, def]) => name !== 'GatewayFrame' && refName(def) === undefined));
}

/** For an alias definition, the definition it stands for; for any other, itself. */
export function resolveAlias(doc: ProtocolSchema, name: string): string {
  let current = name;
  for (let hops = 0; hops < 8; hops++) {
    const target = refName(doc.definitions[current]);
    if (target === undefined) return current;
    current = target;
  }
  throw new Error(`definition ${name} is an alias chain longer than 8`);
}

/** Comment syntax per target, for the stamp that replaces quicktype's usage header. */
const COMMENT: Record<QuicktypeTarget, string> = { swift: '//', kotlin: '//', python: '#' };

/**
 * Renders one language, starting with the stamp and a one-line description. quicktype's own header
 * (usage examples) is dropped: its `leadingComments` option repeats itself before every Swift type.
 */
export async function runQuicktype(target: QuicktypeTarget, doc: ProtocolSchema, description: string): Promise<string> {
  const input = new JSONSchemaInput(new FetchingJSONSchemaStore());
  // One source whose URI fragment ends in `/`: every definition becomes a named top-level type.
  await input.addSource({ name: 'SwitchboardProtocol', schema: JSON.stringify({ definitions: modelDefinitions(doc) }), uris: ['#/definitions/'] });
  const inputData = new InputData();
  inputData.addInput(input);
  const { lines } = await quicktype({
    inputData,
    lang: target,
    rendererOptions: { ...QUICKTYPE_TARGETS[target] },
  });
  const c = COMMENT[target];
  const firstCode = lines.findIndex((line) => line.trim() !== '' && !line.startsWith(c));
  return [`${c} ${STAMP}`, `${c} ${description}`, '', ...lines.slice(firstCode)].join('\n');
}

/**
 * Checks that quicktype kept every definition as a type of the same name (it merges identical
 * shapes and renames clashes). `declared` are the type names found in its output.
 */
export function assertTypesKept(doc: ProtocolSchema, declared: Iterable<string>, language: string): void {
  const have = new Set([...declared].map(looseKey));
  const lost = Object.keys(modelDefinitions(doc)).filter((name) => !have.has(looseKey(name)));
  if (lost.length) {
    throw new Error(`quicktype (${language}) merged or renamed ${lost.join(', ')}; give each a distinct shape or name in protocol/src`);
  }
}
