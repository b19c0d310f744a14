/**
 * Event fan-out. The payload is serialised once per broadcast; each connection gets its own `seq`
 * spliced in. Receivers are filtered by the event's `access` (from the event table) and by an
 * optional per-broadcast filter; slow consumers are handled by {@link Connection.sendSequencedEvent}.
 */
import { events, scopeSatisfies, type Access, type EventName, type Events, type PayloadOf, type StateVersion } from '@switchboard/protocol';
import type { CallerInfo, Connection } from './connection.js';
import { toJson } from '../json-cache.js';

export interface BroadcastOptions {
  stateVersion?: StateVersion;
  /** Extra receiver filter (e.g. only subscribers of one session). */
  filter?: (caller: CallerInfo) => boolean;
}

/** The open connections, by id. */
export class ConnectionRegistry {
  private readonly byId = new Map<string, Connection>();

  add(conn: Connection): void {
    this.byId.set(conn.id, conn);
  }

  delete(conn: Connection): void {
    this.byId.delete(conn.id);
  }

  get(connId: string): Connection | undefined {
    return this.byId.get(connId);
  }

  get size(): number {
    return this.byId.size;
  }

  values(): IterableIterator<Connection> {
    return this.byId.values();
  }

  /** Counts open connections by role. */
  countByRole(): { operators: number; nodes: number } {
    let operators = 0;
    let nodes = 0;
    for (const c of this.byId.values()) {
      if (c.caller?.role === 'node') nodes++;
      else if (c.caller) operators++;
    }
    return { operators, nodes };
  }
}

/** Whether a caller may receive an event that needs `access`. */
export function canReceive(caller: CallerInfo, access: Access | undefined): boolean {
  if (access === undefined) return true;
  if (access === 'node') return caller.role === 'node';
  return caller.role === 'operator' && scopeSatisfies(caller.scopes, access);
}

export class Broadcaster {
  constructor(private readonly connections: ConnectionRegistry) {}

  /** Sends an event to every open connection allowed to receive it. Returns how many got it. */
  broadcast<E extends EventName>(event: E, payload: PayloadOf<Events[E]>, options: BroadcastOptions = {}): number {
    const spec = events[event];
    if (spec.targeted) throw new Error(`event ${event} is targeted; use sendTo()`);
    const eventJson = JSON.stringify(event);
    const payloadJson = toJson(payload)!;
    const svJson = options.stateVersion ? JSON.stringify(options.stateVersion) : undefined;
    let delivered = 0;
    for (const conn of this.connections.values()) {
      const caller = conn.caller;
      if (!caller || !conn.isOpen) continue;
      if (!canReceive(caller, spec.access)) continue;
      if (options.filter && !options.filter(caller)) continue;
      if (conn.sendSequencedEvent(eventJson, payloadJson, spec.droppable, svJson) === 'sent') delivered++;
    }
    return delivered;
  }

  /** Sends a targeted event (no seq) to one connection. */
  sendTo<E extends EventName>(conn: Connection, event: E, payload: PayloadOf<Events[E]>): boolean {
    return conn.sendTargetedEvent(event, toJson(payload)!);
  }
}
