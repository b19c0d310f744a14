/**
 * The durable side of the node registry, as the nodes service uses it: node records and exec
 * allowlists in the store (`store.nodes`), with allowlist entries as argv (optionally bound to a
 * cwd) rather than the stored keys. Every write is one short transaction.
 */
import type { Store } from '../store/store.js';
import type { NodeRecord, NodeSighting } from '../store/nodes-repo.js';
import { allowKey, entryOf, type ExecAllowEntry } from './system-run.js';

export type { NodeRecord, NodeSighting } from '../store/nodes-repo.js';

/** Node records and exec allowlists over the store. */
export class NodeRecords {
  constructor(private readonly store: Store) {}

  /** The record of `nodeId`, or undefined. */
  get(nodeId: string): NodeRecord | undefined {
    return this.store.nodes.get(nodeId);
  }

  /** Every stored record. */
  all(): NodeRecord[] {
    return this.store.nodes.all();
  }

  /** Stores what a node declared as it connected. Skipped (false) when the device is not paired. */
  sighted(s: NodeSighting): boolean {
    return this.store.transaction(() => this.store.nodes.sighted(s));
  }

  /** Notes a disconnect. */
  gone(nodeId: string, at: number): void {
    this.store.transaction(() => this.store.nodes.gone(nodeId, at));
  }

  /** Sets the operator's label; false when no paired device has this id. */
  setLabel(nodeId: string, label: string): boolean {
    return this.store.transaction(() => this.store.nodes.setLabel(nodeId, label));
  }

  /** The persisted exec allowlist of a node (argv, or argv bound to a cwd), oldest first. */
  allowlist(nodeId: string): ExecAllowEntry[] {
    return this.store.nodes.allowKeys(nodeId).map(entryOf);
  }

  /** Whether `argv` in `cwd` (undefined: the call names none) is on the node's persisted allowlist. */
  isAllowed(nodeId: string, argv: readonly string[], cwd?: string): boolean {
    return this.store.nodes.hasAllowKey(nodeId, allowKey(argv, cwd));
  }

  /**
   * Adds `argv` in `cwd` to the node's persisted allowlist (idempotent; skipped when the device is
   * not paired). The stored key is {@link allowKey}: the argv, or `{command, cwd}`.
   */
  allow(nodeId: string, argv: readonly string[], cwd: string | undefined, source: string, at = Date.now()): void {
    this.store.transaction(() => this.store.nodes.addAllowKey(nodeId, allowKey(argv, cwd), source, at));
  }
}
