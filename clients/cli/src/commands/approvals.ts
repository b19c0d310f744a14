/**
 * `switchboard approvals list [--history] | approve <id> [--always] | deny <id>`: exec approvals
 * (a `system.run` on a node waiting for an operator). An id may be shortened to a unique prefix of
 * a pending approval's id.
 */
import type { Command } from 'commander';
import type { ExecApprovalDecision, ExecApprovalEntry, ExecApprovalRecord } from '@switchboard/protocol';
import type { GatewayClient } from '@switchboard/sdk/node';
import type { ConnectionFlags } from '../connection.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { formatDuration, printJson, printLines } from '../output.js';
import { connectionOptions, withClient } from './rpc.js';

interface Flags extends ConnectionFlags {
  json?: boolean;
}

/** The full id of the pending approval `ref` names (the id, or a unique prefix of one). */
export function pickApproval(pending: readonly ExecApprovalEntry[], ref: string): string {
  if (pending.some((p) => p.id === ref)) return ref;
  const matches = pending.filter((p) => p.id.startsWith(ref));
  if (matches.length === 1) return matches[0].id;
  // Not pending (any more): let the gateway answer, it knows decided ones too.
  if (matches.length === 0) return ref;
  throw new CliError(ExitCode.USAGE, `"${ref}" matches ${matches.length} pending approvals; give more of the id`);
}

async function decide(c: GatewayClient, ref: string, decision: ExecApprovalDecision): Promise<{ id: string; entry?: ExecApprovalEntry }> {
  const pending = await c.call('exec.approval.list');
  const id = pickApproval(pending, ref);
  await c.call('exec.approval.resolve', { id, decision });
  return { id, entry: pending.find((p) => p.id === id) };
}

/** Registers `switchboard approvals …`. */
export function registerApprovals(program: Command): void {
  const approvals = program.command('approvals').description('exec approvals: commands on nodes waiting for an operator');

  connectionOptions(approvals.command('list'))
    .description('approvals waiting for a decision (or the record of past ones with --history)')
    .option('--history', 'the recorded approvals, newest first, with their decisions')
    .option('--limit <n>', 'with --history: how many (default 50)')
    .option('--json', 'print JSON')
    .action(async (flags: Flags & { history?: boolean; limit?: string }) => {
      if (flags.history) {
        const limit = flags.limit === undefined ? undefined : Number(flags.limit);
        if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 500)) throw new CliError(ExitCode.USAGE, '--limit must be an integer from 1 to 500');
        const h = await withClient(flags, (c) => c.call('exec.approval.history', limit ? { limit } : {}));
        if (flags.json) return printJson(h, true);
        return printLines(...formatHistory(h.approvals));
      }
      const list = await withClient(flags, (c) => c.call('exec.approval.list'));
      if (flags.json) return printJson(list, true);
      printLines(...formatPending(list));
    });

  connectionOptions(approvals.command('approve <id>'))
    .description('let the command run (once, or from now on with --always)')
    .option('--always', 'also add the exact command to the node\'s allowlist (allow-always)')
    .action(async (ref: string, flags: Flags & { always?: boolean }) => {
      const r = await withClient(flags, (c) => decide(c, ref, flags.always ? 'allow-always' : 'allow-once'));
      printLines(`approved ${r.id}${r.entry ? `: ${r.entry.request.command} on ${r.entry.request.nodeName ?? r.entry.request.nodeId}` : ''}${flags.always ? ' (and allowlisted)' : ''}`);
    });

  connectionOptions(approvals.command('deny <id>'))
    .description('refuse the command; it is not run')
    .action(async (ref: string, flags: Flags) => {
      const r = await withClient(flags, (c) => decide(c, ref, 'deny'));
      printLines(`denied ${r.id}${r.entry ? `: ${r.entry.request.command} on ${r.entry.request.nodeName ?? r.entry.request.nodeId}` : ''}`);
    });
}

/** Human-readable pending approvals. */
export function formatPending(list: readonly ExecApprovalEntry[], now = Date.now()): string[] {
  if (!list.length) return ['No approvals waiting.'];
  return [
    `Waiting (${list.length}) — \`switchboard approvals approve <id>\` or \`deny <id>\``,
    ...list.map((a) => `  ${a.id}  ${a.request.nodeName ?? a.request.nodeId.slice(0, 12)}  ${a.request.command}${a.request.cwd ? `  (in ${a.request.cwd})` : ''}  by ${a.request.requestedBy ?? '?'} · expires in ${formatDuration(Math.max(0, a.expiresAtMs - now))}`),
  ];
}

/** Human-readable history. */
export function formatHistory(list: readonly ExecApprovalRecord[]): string[] {
  if (!list.length) return ['No approvals recorded.'];
  return list.map((a) => `${new Date(a.createdAtMs).toISOString()}  ${a.id.slice(0, 8)}  ${a.request.nodeName ?? a.request.nodeId.slice(0, 12)}  ${a.request.command}  → ${a.decision ?? 'pending'}${a.ending && a.ending !== 'decided' ? ` (${a.ending})` : ''}${a.resolvedBy ? ` by ${a.resolvedBy}` : ''}`);
}
