/**
 * The exec approvals panel: commands a node wants to run (usually for the agent) wait here for
 * Approve / Always / Deny. It lists the pending ones on connect and after every reconnect, follows
 * `exec.approval.requested` / `exec.approval.resolved`, and answers with `exec.approval.resolve`.
 *
 * Deciding needs `operator.approvals`, which a browser paired without a secret does not get (see
 * docs/security.md); such a page shows how to sign in with the gateway token instead.
 */
import type { ExecApprovalDecision, ExecApprovalEntry } from '@switchboard/protocol';
import type { GatewayClient } from '@switchboard/sdk';
import { clear, h } from './dom.js';

/** Pending approvals shown at most (the gateway bounds them too). */
const MAX_SHOWN = 50;

/** The panel (see the file comment); `element` goes above the transcript. */
export class ApprovalsPanel {
  readonly element = h('section', { class: 'approvals', 'aria-label': 'Exec approvals', 'data-testid': 'approvals', hidden: true });
  private readonly pending = new Map<string, ExecApprovalEntry>();
  private readonly errors = new Map<string, string>();
  private client: GatewayClient | undefined;
  private allowed = false;

  /** @param onSignIn opens the token form (asked for when the connection may not decide). */
  constructor(private readonly onSignIn: () => void) {}

  /** Follows approvals on a connected client. */
  attach(client: GatewayClient): void {
    this.client = client;
    client.on('exec.approval.requested', (entry) => {
      if (this.pending.size < MAX_SHOWN) this.pending.set(entry.id, entry);
      this.render();
    });
    client.on('exec.approval.resolved', (ev) => {
      this.pending.delete(ev.id);
      this.errors.delete(ev.id);
      this.render();
    });
    void this.refresh();
  }

  /** Re-reads the pending approvals (after a reconnect, or a gap in events). */
  async refresh(): Promise<void> {
    const client = this.client;
    const scopes = client?.hello?.auth.scopes ?? [];
    this.allowed = scopes.includes('operator.approvals') || scopes.includes('operator.admin');
    if (client && this.allowed) {
      const list = await client.call('exec.approval.list').catch(() => undefined);
      if (list) {
        this.pending.clear();
        for (const entry of list.slice(0, MAX_SHOWN)) this.pending.set(entry.id, entry);
      }
    }
    this.render();
  }

  private async decide(id: string, decision: ExecApprovalDecision): Promise<void> {
    try {
      await this.client?.call('exec.approval.resolve', { id, decision });
      this.pending.delete(id);
      this.errors.delete(id);
    } catch (err) {
      this.errors.set(id, `could not ${decision === 'deny' ? 'deny' : 'approve'}: ${(err as Error).message}`);
    }
    this.render();
  }

  private render(): void {
    clear(this.element);
    if (!this.allowed) {
      this.element.hidden = !this.client;
      this.element.append(h('p', { class: 'hint', 'data-testid': 'approvals-hint' },
        'Commands the agent wants to run on your devices need an approval. To approve them here, ',
        h('button', { type: 'button', class: 'link', onclick: () => this.onSignIn() }, 'sign in with the gateway token'),
        ' (or use `switchboard approvals` on the gateway host).'));
      return;
    }
    this.element.hidden = this.pending.size === 0;
    for (const entry of this.pending.values()) this.element.append(this.row(entry));
  }

  private row(entry: ExecApprovalEntry): HTMLElement {
    const r = entry.request;
    const details = [r.cwd ? `in ${r.cwd}` : '', r.envKeys?.length ? `sets ${r.envKeys.join(', ')}` : '', `asked by ${r.requestedBy ?? 'someone'}`,
      `denied automatically at ${new Date(entry.expiresAtMs).toLocaleTimeString()}`].filter(Boolean).join(' · ');
    const button = (label: string, decision: ExecApprovalDecision, testid: string, primary = false) =>
      h('button', { type: 'button', class: primary ? 'primary' : '', 'data-testid': testid, onclick: () => void this.decide(entry.id, decision) }, label);
    const error = this.errors.get(entry.id);
    return h('div', { class: 'approval', 'data-testid': 'approval', 'data-id': entry.id },
      h('div', { class: 'what' }, `Run on ${r.nodeName ?? r.nodeId.slice(0, 12)}: `, h('code', {}, r.command)),
      h('small', {}, details),
      h('div', { class: 'actions' },
        button('Approve', 'allow-once', 'approve', true),
        button('Always allow', 'allow-always', 'approve-always'),
        button('Deny', 'deny', 'deny')),
      error ? h('small', { class: 'error' }, error) : null);
  }
}
