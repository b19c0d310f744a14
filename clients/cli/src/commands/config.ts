/** `switchboard config path|get|set|validate`: the config file in the state directory. */
import type { Command } from 'commander';
import { CliError, ExitCode } from '../exit-codes.js';
import { printJson, printLines } from '../output.js';

async function admin() {
  return import('@switchboard/gateway/admin');
}

/** Turns config errors into exit code 1 with the file's own explanation. */
async function guard<T>(fn: () => T | Promise<T>): Promise<T> {
  const { ConfigError } = await admin();
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ConfigError) {
      warn(err.warnings);
      throw new CliError(ExitCode.ERROR_REPLY, err.message);
    }
    throw new CliError(ExitCode.ERROR_REPLY, err instanceof Error ? err.message : String(err));
  }
}

function warn(lines: string[]): void {
  for (const line of lines) process.stderr.write(`warning: ${line}\n`);
}

/** A value that is only a `${NAME}` (or `${NAME:-default}`) reference. */
function isEnvReference(value: string): boolean {
  return /^\$\{[^}]+\}$/.test(value.trim());
}

/** The warning for a secret written literally: where it now sits, and how to use a reference instead. */
function plainSecretWarning(key: string, path: string): string {
  const name = key.replace(/[^A-Za-z0-9]+/g, '_').toUpperCase();
  return `${key} is stored in plain text in ${path}; better keep the secret in the environment and write a reference: export ${name}=… and run \`switchboard config set ${key} '\${${name}}'\``;
}

/** Replaces literal secret values (not `${ENV}` references) with a marker. */
export function hideSecrets(value: unknown, name: string, secretKey: RegExp): unknown {
  if (typeof value === 'string') return secretKey.test(name) && !/^\$\{[^}]+\}$/.test(value) ? '[hidden: use --show-secrets]' : value;
  if (Array.isArray(value)) return value.map((v) => hideSecrets(v, name, secretKey));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hideSecrets(v, k, secretKey)]));
  }
  return value;
}

/** Registers `switchboard config …`. */
export function registerConfig(program: Command): void {
  const config = program.command('config').description('read and change the config file (config.yaml in the state directory)');

  config.command('path')
    .description('print where the config file is')
    .action(async () => {
      const { configPath, resolveStateDir } = await admin();
      printLines(configPath(resolveStateDir()));
    });

  config.command('get [key]')
    .description('print a value as written in the file (dotted key, e.g. gateway.port), or the whole file')
    .option('--json', 'print JSON')
    .option('--show-secrets', 'print secret values written literally in the file (hidden by default)')
    .action(async (key: string | undefined, flags: { json?: boolean; showSecrets?: boolean }) => {
      const { getConfigValue, configPath, resolveStateDir, SECRET_KEY } = await admin();
      const raw = await guard(() => getConfigValue(resolveStateDir(), key));
      const value = flags.showSecrets ? raw : hideSecrets(raw, key?.split('.').pop() ?? '', SECRET_KEY);
      if (value === undefined) {
        throw new CliError(ExitCode.ERROR_REPLY, key ? `${key} is not set in ${configPath(resolveStateDir())}; the built-in default applies` : `there is no config file at ${configPath(resolveStateDir())}; the built-in defaults apply`);
      }
      if (flags.json || typeof value === 'object') printJson(value, flags.json === true);
      else printLines(String(value));
    });

  config.command('set <key> <value>')
    .description('set a value (read as YAML: 8080, true, [a, b], or text; ${ENV} references are kept as written)')
    .action(async (key: string, value: string) => {
      const { setConfigValue, resolveStateDir, SECRET_KEY } = await admin();
      const { path, warnings } = await guard(() => setConfigValue(resolveStateDir(), key, value));
      warn(warnings);
      if (SECRET_KEY.test(key.split('.').pop() ?? '') && !isEnvReference(value)) warn([plainSecretWarning(key, path)]);
      printLines(`${key} set in ${path}; restart the gateway to apply it`);
    });

  config.command('validate')
    .description('check the config file (after migrations and ${ENV} interpolation) without changing it')
    .action(async () => {
      const { validateConfigFile, resolveStateDir } = await admin();
      const loaded = await guard(() => validateConfigFile(resolveStateDir()));
      if (!loaded.exists) return printLines(`no config file at ${loaded.path}; the built-in defaults apply`);
      warn(loaded.migrated.map((m) => `the file is at an older version and will be migrated when the gateway starts (${m})`));
      warn(loaded.warnings);
      printLines(`${loaded.path} is valid`);
    });
}
