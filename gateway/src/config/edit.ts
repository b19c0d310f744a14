/**
 * What `switchboard config get|set|validate` do to the file. `set` edits the YAML document in place
 * (comments and key order survive), validates the result and only then writes it atomically; a
 * value that would make the file invalid is refused and the file is left untouched.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml, Document, isScalar, type Node } from 'yaml';
import { ConfigError, configPath, loadConfigFile, parseConfigText, validateDocument, writeFileAtomic, type LoadedConfig } from './file.js';
import { migrateDocument } from './migrations.js';
import { ensureStateDir } from '../state-dir.js';
import { CONFIG_VERSION, schemaAt } from './schema.js';

/** Splits `gateway.auth.mode` into its parts; refuses empty parts. */
export function parseKeyPath(key: string): string[] {
  const parts = key.split('.');
  if (parts.some((p) => p.length === 0)) throw new Error(`"${key}" is not a config key; use dotted names such as gateway.port`);
  return parts;
}

/** The raw (not interpolated) value at `key`, or undefined when unset. */
export function getConfigValue(stateDir: string, key?: string): unknown {
  const path = configPath(stateDir);
  if (!existsSync(path)) return undefined;
  const doc = parseConfigText(path, readFileSync(path, 'utf8'));
  migrateDocument(doc);
  if (!key) return doc.toJS();
  const node = doc.getIn(parseKeyPath(key), true) as Node | undefined;
  if (node === undefined) return undefined;
  return isScalar(node) ? node.value : (node as { toJSON(): unknown }).toJSON();
}

/**
 * Sets `key` to `rawValue` (read as a YAML scalar or flow value: `8080`, `true`, `[a, b]`, or text),
 * validates and writes. Returns the warnings (unknown key, unset environment variables).
 */
export function setConfigValue(stateDir: string, key: string, rawValue: string, env: NodeJS.ProcessEnv = process.env): { path: string; warnings: string[] } {
  const path = configPath(ensureStateDir(stateDir));
  const parts = parseKeyPath(key);
  const doc = existsSync(path) ? parseConfigText(path, readFileSync(path, 'utf8')) : new Document({ version: CONFIG_VERSION });
  migrateDocument(doc);
  doc.setIn(parts, parseValue(rawValue));
  const { warnings } = validateDocument(path, doc, { env, allowUnresolved: true });
  if (!schemaAt(parts)) warnings.unshift(`"${key}" is not a key this Switchboard knows; it was written but is ignored`);
  writeFileAtomic(path, doc.toString());
  return { path, warnings };
}

/** Loads and validates without writing anything (migrations happen in memory). */
export function validateConfigFile(stateDir: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  return loadConfigFile(stateDir, { env, write: false });
}

function parseValue(raw: string): unknown {
  // `${VAR}` stays text (the loader resolves it); anything else is read like a YAML value.
  if (raw.includes('${')) return raw;
  try {
    return parseYaml(raw) as unknown;
  } catch {
    return raw;
  }
}

export { ConfigError };
