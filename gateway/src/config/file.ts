/**
 * `config.yaml` in the state directory: read, migrate (with a backup), interpolate `${ENV}`,
 * validate. Unknown keys are warnings and stay in the file; a bad value is a {@link ConfigError}
 * naming the path, the value and what a valid one looks like. Secret values are never echoed.
 *
 * `${VAR}` takes the environment variable (an error when unset), `${VAR:-default}` falls back, and
 * `$${…}` is a literal `${…}`. A scalar that is only a reference is re-read as YAML, so
 * `port: ${PORT}` gives a number. Interpolation happens after parsing: an environment value can
 * never add keys or structure.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { join } from 'node:path';
import { parse as parseYaml, parseDocument, type Document } from 'yaml';
import { Value, ValueErrorType } from '@sinclair/typebox/value';
import { CONFIG_VERSION, ConfigSchema, SECRET_KEY, type GatewayConfig } from './schema.js';
import { documentVersion, migrateDocument } from './migrations.js';

/** The config file name inside the state directory. */
export const CONFIG_FILE = 'config.yaml';

/** Path of the config file of a state directory. */
export function configPath(stateDir: string): string {
  return join(stateDir, CONFIG_FILE);
}

/** One problem in the file. */
export interface ConfigIssue {
  /** Dotted path, e.g. `gateway.port`. */
  path: string;
  message: string;
}

/** The file cannot be used; `issues` says where and why, `message` lists them for people. */
export class ConfigError extends Error {
  /** Notes found along the way (unknown keys), worth showing with the error. */
  warnings: string[] = [];

  constructor(readonly file: string, readonly issues: ConfigIssue[]) {
    super(`${file} is not valid:\n${issues.map((i) => `  - ${i.path || '(top)'}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The result of {@link loadConfigFile}. */
export interface LoadedConfig {
  path: string;
  exists: boolean;
  /** Validated, interpolated values (empty when there is no file). */
  config: Partial<GatewayConfig>;
  /** Unknown keys and other notes that do not stop the daemon. */
  warnings: string[];
  /** Migrations applied (and written, with `write`). */
  migrated: string[];
  /** Where the pre-migration copy was saved. */
  backupPath?: string;
  /** Resolved secret values, for the log scrubber. */
  secrets: string[];
}

/** Options of {@link loadConfigFile}. */
export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Write a migrated file back (with a backup of the original). Default false. */
  write?: boolean;
  /** Treat unset `${VAR}` references as warnings and skip those keys (for `config set`). */
  allowUnresolved?: boolean;
}

/** Loads and validates the config file of `stateDir`. Throws {@link ConfigError}. */
export function loadConfigFile(stateDir: string, options: LoadOptions = {}): LoadedConfig {
  const path = configPath(stateDir);
  if (!existsSync(path)) return { path, exists: false, config: {}, warnings: [], migrated: [], secrets: [] };
  const text = readFileSync(path, 'utf8');
  const doc = parseConfigText(path, text);
  const fromVersion = documentVersion(doc);
  if (!Number.isInteger(fromVersion) || fromVersion > CONFIG_VERSION) {
    throw new ConfigError(path, [{ path: 'version', message: `version ${String(doc.get('version'))} is not one this Switchboard knows (it writes ${CONFIG_VERSION}); upgrade Switchboard or fix the version` }]);
  }
  let migrated: string[] = [];
  try {
    migrated = migrateDocument(doc);
  } catch (err) {
    throw new ConfigError(path, [{ path: 'version', message: (err as Error).message }]);
  }
  let backupPath: string | undefined;
  if (migrated.length > 0 && options.write) {
    backupPath = `${path}.v${fromVersion}.bak`;
    if (existsSync(backupPath)) backupPath = `${path}.v${fromVersion}.${Date.now()}.bak`;
    writeFileAtomic(backupPath, text);
    writeFileAtomic(path, doc.toString());
  }
  return { path, exists: true, migrated, ...(backupPath ? { backupPath } : {}), ...validateDocument(path, doc, options) };
}

/** Parses YAML, turning syntax errors into a ConfigError with line and column. */
export function parseConfigText(path: string, text: string): Document {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new ConfigError(path, doc.errors.map((e) => ({ path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '', message: `YAML syntax: ${e.message.split('\n')[0]}` })));
  }
  const root = doc.toJS() as unknown;
  if (root !== null && root !== undefined && (typeof root !== 'object' || Array.isArray(root))) {
    throw new ConfigError(path, [{ path: '', message: 'the file must be a mapping of keys (gateway:, log:, …)' }]);
  }
  return doc;
}

/** Interpolates and validates a (migrated) document. */
export function validateDocument(path: string, doc: Document, options: LoadOptions = {}): Pick<LoadedConfig, 'config' | 'warnings' | 'secrets'> {
  const warnings: string[] = [];
  const issues: ConfigIssue[] = [];
  const secrets: string[] = [];
  const raw = (doc.toJS() ?? {}) as Record<string, unknown>;
  const value = interpolate(raw, [], options.env ?? process.env, { issues, warnings, secrets, allowUnresolved: options.allowUnresolved ?? false }) as Record<string, unknown>;
  for (const e of Value.Errors(ConfigSchema, value)) {
    const dotted = e.path.slice(1).split('/').filter(Boolean).join('.');
    if (e.type === ValueErrorType.ObjectAdditionalProperties) {
      warnings.push(`${path}: unknown key "${dotted}" is kept but ignored (check its spelling or the Switchboard version)`);
      continue;
    }
    const shown = SECRET_KEY.test(dotted) ? `a ${typeof e.value === 'string' ? `${e.value.length}-character` : typeof e.value} value` : JSON.stringify(e.value);
    const expected = (e.schema as { description?: string }).description ?? e.message.toLowerCase();
    issues.push({ path: dotted, message: `${shown ?? 'nothing'} is not valid: expected ${expected}; fix it with \`switchboard config set ${dotted || 'KEY'} VALUE\` or edit the file` });
  }
  if (issues.length > 0) {
    const error = new ConfigError(path, dedupe(issues));
    error.warnings = warnings;
    throw error;
  }
  return { config: Value.Clean(ConfigSchema, structuredClone(value)) as Partial<GatewayConfig>, warnings, secrets };
}

interface InterpolationState {
  issues: ConfigIssue[];
  warnings: string[];
  secrets: string[];
  allowUnresolved: boolean;
}

const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

function interpolate(value: unknown, path: string[], env: NodeJS.ProcessEnv, st: InterpolationState): unknown {
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, [...path, String(i)], env, st));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const resolved = interpolate(v, [...path, k], env, st);
      if (resolved !== SKIP) out[k] = resolved;
    }
    return out;
  }
  if (typeof value !== 'string') return value;
  const dotted = path.join('.');
  let missing: string | undefined;
  const whole = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}$/.test(value);
  const text = value.replace(REFERENCE, (match, name: string | undefined, fallback: string | undefined) => {
    if (match === '$${') return '${';
    const found = env[name!];
    if (found !== undefined && found !== '') return found;
    if (fallback !== undefined) return fallback;
    missing = name;
    return '';
  });
  if (missing !== undefined) {
    const message = `environment variable ${missing} is not set; set it, or write \${${missing}:-default}`;
    if (st.allowUnresolved) { st.warnings.push(`${dotted}: ${message}`); return SKIP; }
    st.issues.push({ path: dotted, message });
    return value;
  }
  if (SECRET_KEY.test(path[path.length - 1] ?? '')) st.secrets.push(text);
  return whole ? parseScalar(text) : text;
}

const SKIP = Symbol('skip');

/** `"8080"` → 8080, `"true"` → true, anything else stays a string. */
function parseScalar(text: string): unknown {
  try {
    const v = parseYaml(text) as unknown;
    return typeof v === 'number' || typeof v === 'boolean' ? v : text;
  } catch {
    return text;
  }
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => (seen.has(i.path) ? false : (seen.add(i.path), true)));
}

export { writeFileAtomic };
