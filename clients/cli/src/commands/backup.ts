/** `switchboard backup create|restore`: snapshots of the state directory. */
import type { Command } from 'commander';
import { CliError, ExitCode } from '../exit-codes.js';
import { formatBytes, printJson, printLines } from '../output.js';

async function run<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new CliError(ExitCode.ERROR_REPLY, err instanceof Error ? err.message : String(err));
  }
}

/** Registers `switchboard backup create|restore`. */
export function registerBackup(program: Command): void {
  const backup = program.command('backup').description('back up and restore the state directory (sessions, transcripts, ledgers, config)');

  backup.command('create <file>')
    .description('write a consistent snapshot to FILE (.tar.gz); safe while the gateway runs')
    .option('--include-secrets', 'also include device tokens, the generated gateway token, secret config values and the WhatsApp credentials')
    .option('--json', 'print the manifest as JSON')
    .action(async (file: string, flags: { includeSecrets?: boolean; json?: boolean }) => {
      const { createBackup, resolveStateDir } = await import('@switchboard/gateway/admin');
      const result = await run(() => createBackup(resolveStateDir(), file, { includeSecrets: flags.includeSecrets === true }));
      if (flags.json) return printJson({ file: result.file, bytes: result.bytes, manifest: result.manifest }, true);
      const rows = Object.entries(result.manifest.tables).map(([t, n]) => `${t} ${n}`).join(', ');
      printLines(
        `backup written to ${result.file} (${formatBytes(result.bytes)})`,
        `tables: ${rows}`,
        result.manifest.includesSecrets ? 'secrets: included (keep this file private)' : `secrets: left out${result.manifest.redactedConfigKeys.length ? ` (config keys: ${result.manifest.redactedConfigKeys.join(', ')})` : ''}; use --include-secrets to keep them`,
      );
    });

  backup.command('restore <file>')
    .description('verify FILE, then replace the state with it (the gateway must be stopped)')
    .option('--dry-run', 'only verify and report what would be restored')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, flags: { dryRun?: boolean; json?: boolean }) => {
      const { restoreBackup, resolveStateDir } = await import('@switchboard/gateway/admin');
      const result = await run(() => restoreBackup(resolveStateDir(), file, { dryRun: flags.dryRun === true }));
      if (flags.json) return printJson(result, true);
      const m = result.manifest;
      printLines(
        `${result.dryRun ? 'verified (dry run, nothing changed)' : 'restored'}: ${file} from ${m.createdAt}, schema ${m.schemaVersion}`,
        `files: ${result.restored.join(', ')}`,
        `tables: ${Object.entries(m.tables).map(([t, n]) => `${t} ${n}`).join(', ')}`,
        ...(result.previousCopy ? [`the previous state was copied to ${result.previousCopy}`] : []),
      );
    });
}
