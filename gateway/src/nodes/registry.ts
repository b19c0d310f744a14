/**
 * The live node registry: one session per connected node, keyed by its device id. A node that
 * connects again (a new socket with the same identity) replaces its older session; the service
 * closes the old socket. What a session declared after connecting (skills, plugin tools, runner
 * inventory, host stats) lives here and goes with it.
 */
import type { NodeDeclaredTool } from '@switchboard/protocol';
import type { CallerInfo, Connection } from '../server/connection.js';
import type { PlatformId } from './policy.js';
import type { Bucket } from '../token-bucket.js';

/** One connected node. */
export interface NodeSession {
  readonly nodeId: string;
  readonly connId: string;
  /** The socket, for targeted events only; handlers never see it. */
  readonly conn: Connection;
  readonly caller: CallerInfo;
  readonly platformId: PlatformId;
  /** Commands the node declared. */
  readonly declared: readonly string[];
  /** Declared ∩ the server allowlist. */
  readonly invocable: readonly string[];
  readonly allowlist: ReadonlySet<string>;
  readonly connectedAtMs: number;
  skills: NodeDeclaredTool[];
  pluginTools: NodeDeclaredTool[];
  runnerInventory?: Record<string, unknown>;
  hostStats?: Record<string, unknown>;
  /** Set by `node.presence.alive`; `node.list` shows `connectedAtMs`/`connect` until then. */
  lastSeenAtMs?: number;
  lastSeenReason?: string;
  /** The session's `node.event` budget (see nodes/node-events.ts), created on the first event. */
  eventBudget?: Bucket;
  /** `node.event`s dropped for exceeding the budget. */
  eventsDropped?: number;
}

/** Connected nodes by id. */
export class NodeRegistry {
  private readonly byId = new Map<string, NodeSession>();

  get size(): number {
    return this.byId.size;
  }

  /** Adds a session; returns the session it replaced, if the node was already connected. */
  add(session: NodeSession): NodeSession | undefined {
    const previous = this.byId.get(session.nodeId);
    this.byId.set(session.nodeId, session);
    return previous;
  }

  /** Removes the node's session if it is still the one on `connId`; returns it. */
  remove(nodeId: string, connId: string): NodeSession | undefined {
    const current = this.byId.get(nodeId);
    if (!current || current.connId !== connId) return undefined;
    this.byId.delete(nodeId);
    return current;
  }

  get(nodeId: string): NodeSession | undefined {
    return this.byId.get(nodeId);
  }

  /** The session a node caller is on, if it is the current one. */
  forCaller(caller: CallerInfo): NodeSession | undefined {
    const session = caller.deviceId ? this.byId.get(caller.deviceId) : undefined;
    return session && session.connId === caller.connId ? session : undefined;
  }

  list(): NodeSession[] {
    return [...this.byId.values()];
  }
}
