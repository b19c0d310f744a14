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
  /**
   * Candidate receivers, when the caller already knows the few connections that can receive the
   * event (e.g. pairing operators): spares iterating every connection. Access is still checked.
   */
  to?: Iterable<Connection>;
  /** Overrides the event table's `droppable` for this broadcast (e.g. streamed deltas of an event whose final frames must not drop). */
  droppable?: boolean;
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

/** Receives every broadcast after live delivery (the resume store captures for closed connections). */
export interface BroadcastTap {
  capture(event: EventName, payloadJson: string, stateVersionJson: string | undefined, filter?: (caller: CallerInfo) => boolean): void;
}

export class Broadcaster {
  private tap: BroadcastTap | undefined;

  constructor(private readonly connections: ConnectionRegistry) {}

  /** Installs the tap that sees every broadcast (one at most). */
  setTap(tap: BroadcastTap): void {
    this.tap = tap;
  }

  /** Sends an event to every open connection allowed to receive it. Returns how many got it. */
  broadcast<E extends EventName>(event: E, payload: PayloadOf<Events[E]>, options: BroadcastOptions = {}): number {
    const spec = events[event];
    if (spec.targeted) throw new Error(`event ${event} is targeted; use sendTo()`);
    const eventJson = JSON.stringify(event);
    const payloadJson = toJson(payload)!;
    const svJson = options.stateVersion ? JSON.stringify(options.stateVersion) : undefined;
    const droppable = options.droppable ?? spec.droppable;
    let delivered = 0;
    for (const conn of options.to ?? this.connections.values()) {
      const caller = conn.caller;
      if (!caller || !conn.isOpen) continue;
      if (!canReceive(caller, spec.access)) continue;
      if (options.filter && !options.filter(caller)) continue;
      if (conn.sendSequencedEvent(eventJson, payloadJson, droppable, svJson) === 'sent') delivered++;
    }
    this.tap?.capture(event, payloadJson, svJson, options.filter);
    return delivered;
  }

  /** Sends a targeted event (no seq) to one connection. */
  sendTo<E extends EventName>(conn: Connection, event: E, payload: PayloadOf<Events[E]>): boolean {
    return conn.sendTargetedEvent(event, toJson(payload)!);
  }
}
