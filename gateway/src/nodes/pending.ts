/**
 * Invokes sent to nodes and waiting for their `node.invoke.result`. Bounded per node and in total;
 * each has a timer. A result for an id nobody waits for (late, or never sent) is ignored; a result
 * from another node than the one asked is refused. When a node's connection closes, its pending
 * invokes fail at once.
 */
import { randomUUID } from 'node:crypto';
import { GatewayError, type NodeInvokeResultParams } from '@switchboard/protocol';

/** What a node answered. */
export type NodeAnswer = Pick<NodeInvokeResultParams, 'ok' | 'payload' | 'payloadJSON' | 'error'>;

interface Entry {
  id: string;
  nodeId: string;
  connId: string;
  command: string;
  timer: NodeJS.Timeout;
  resolve(answer: NodeAnswer): void;
  reject(err: GatewayError): void;
}

/** Limits of {@link PendingInvokes}. */
export interface PendingLimits {
  maxPerNode: number;
  maxTotal: number;
}

/** The invokes waiting for nodes. */
export class PendingInvokes {
  private readonly byId = new Map<string, Entry>();
  private readonly perNode = new Map<string, number>();

  constructor(private readonly limits: PendingLimits) {}

  get size(): number {
    return this.byId.size;
  }

  /** Invokes waiting on one node. */
  countFor(nodeId: string): number {
    return this.perNode.get(nodeId) ?? 0;
  }

  /** Throws UNAVAILABLE when another invoke for this node would exceed a bound. */
  checkRoom(nodeId: string): void {
    const forNode = this.countFor(nodeId);
    if (forNode >= this.limits.maxPerNode || this.byId.size >= this.limits.maxTotal) {
      throw new GatewayError('UNAVAILABLE', forNode >= this.limits.maxPerNode
        ? `node ${nodeId} already has ${forNode} invokes waiting for an answer; wait for some to finish`
        : `the gateway already waits for ${this.byId.size} node invokes; wait for some to finish`, {
        details: { code: 'NODE_INVOKES_FULL', nodeId, pending: forNode },
      });
    }
  }

  /**
   * Registers an invoke and returns its id and the answer's promise. `onTimeout` runs (before the
   * promise rejects) when the node does not answer within `timeoutMs`.
   */
  add(nodeId: string, connId: string, command: string, timeoutMs: number, onTimeout: (id: string) => void): { id: string; answer: Promise<NodeAnswer> } {
    this.checkRoom(nodeId);
    const id = randomUUID();
    const answer = new Promise<NodeAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!this.remove(id)) return;
        onTimeout(id);
        reject(new GatewayError('UNAVAILABLE', `node ${nodeId} did not answer ${command} within ${timeoutMs} ms; it was told to cancel. ${raiseTimeoutHint(command)}`, {
          details: { code: 'NODE_INVOKE_TIMEOUT', nodeId, command, timeoutMs },
        }));
      }, timeoutMs);
      timer.unref?.();
      this.byId.set(id, { id, nodeId, connId, command, timer, resolve, reject });
      this.perNode.set(nodeId, this.countFor(nodeId) + 1);
    });
    return { id, answer };
  }

  /**
   * A node's result. `{ignored:true}` when nobody waits for `id` any more; throws NODE_ID_MISMATCH
   * when the invoke was sent to another node.
   */
  complete(id: string, fromNodeId: string, answer: NodeAnswer): { ignored: boolean } {
    const entry = this.byId.get(id);
    if (!entry) return { ignored: true };
    if (entry.nodeId !== fromNodeId) {
      throw new GatewayError('INVALID_REQUEST', 'nodeId mismatch: this invoke was sent to another node', {
        details: { code: 'NODE_ID_MISMATCH' },
      });
    }
    this.remove(id);
    entry.resolve(answer);
    return { ignored: false };
  }

  /** Fails one pending invoke (its caller gave up); false when it was not pending. */
  fail(id: string, err: GatewayError): boolean {
    const entry = this.byId.get(id);
    if (!entry || !this.remove(id)) return false;
    entry.reject(err);
    return true;
  }

  /** Fails every invoke sent over one connection (it closed). Returns how many. */
  failConnection(connId: string, err: (command: string) => GatewayError): number {
    let n = 0;
    for (const entry of [...this.byId.values()]) {
      if (entry.connId !== connId) continue;
      this.remove(entry.id);
      entry.reject(err(entry.command));
      n++;
    }
    return n;
  }

  /** Fails everything (daemon stopping). */
  failAll(err: GatewayError): void {
    for (const entry of [...this.byId.values()]) {
      this.remove(entry.id);
      entry.reject(err);
    }
  }

  private remove(id: string): boolean {
    const entry = this.byId.get(id);
    if (!entry) return false;
    clearTimeout(entry.timer);
    this.byId.delete(id);
    const n = this.countFor(entry.nodeId) - 1;
    if (n > 0) this.perNode.set(entry.nodeId, n);
    else this.perNode.delete(entry.nodeId);
    return true;
  }
}

/** How to give a slow command more time, for the timeout error. */
function raiseTimeoutHint(command: string): string {
  return command === 'system.run'
    ? 'For a slow program raise its timeoutMs: `switchboard nodes run --timeout <ms> …`, system.run\'s params.timeoutMs, or the system_run tool\'s timeoutMs (the gateway waits that plus 5 s).'
    : 'For a slow command raise the wait: `switchboard nodes invoke --invoke-timeout <ms> …`, or node.invoke\'s timeoutMs.';
}
