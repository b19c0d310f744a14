/**
 * Resume: runs belong to sessions, not sockets, so a client that drops its socket mid-stream can
 * pick the stream up where it left off.
 *
 * For every connection that advertised the `switchboard.resume` capability the gateway keeps a
 * bounded ring of the sequenced frames it sent. When the socket closes, the ring stays for
 * `ttlMs` and keeps **capturing** the events that connection would have received, numbered on.
 * A new connection that offers `{token, lastSeq}` in `connect.params.resume` (same role, same
 * device, no fewer scopes) continues that numbering: it gets every frame after `lastSeq` right
 * after hello-ok, then live events. When the ring overflowed, expired, or the caller differs, the
 * answer is `resync: true` and the client re-fetches its state. OpenClaw clients never ask and
 * see no difference.
 */
import { randomBytes } from 'node:crypto';
import { events, scopesCover, type EventName } from '@switchboard/protocol';
import { canReceive } from './broadcaster.js';
import type { CallerInfo, Connection } from './connection.js';
import type { Limits } from '../config/limits.js';

/** The client capability that turns resume on. */
export const RESUME_CAPABILITY = 'switchboard.resume';

/** Frames and bytes kept per connection, how long a closed connection's ring waits, how many closed ones at most. */
export type ReplayLimits = Limits['replay'];

interface Ring {
  token: string;
  caller: CallerInfo;
  frames: Array<{ seq: number; text: string }>;
  bytes: number;
  /** Highest seq assigned (sent, dropped or captured while detached). */
  lastSeq: number;
  /** Frames were evicted: a resume from before `firstKeptSeq` is impossible. */
  firstKeptSeq: number;
  /** Set once the socket closed. */
  expiresAt?: number;
}

/** The outcome of a resume attempt. */
export type ResumeOutcome =
  | { resumed: true; lastSeq: number; frames: string[]; /** A still-open connection the client left behind; close it. */ staleConnId?: string }
  | { resumed: false };

export class ReplayStore {
  private readonly byConn = new Map<string, Ring>();
  private readonly detached = new Map<string, Ring>();
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(readonly limits: ReplayLimits) {}

  /** Whether a caller asked for resume. */
  static wants(caller: CallerInfo): boolean {
    return caller.caps.includes(RESUME_CAPABILITY);
  }

  /** Issues a token for a connection that just opened; its frames are kept from now on. */
  attach(conn: Connection): string {
    const token = randomBytes(24).toString('base64url');
    this.byConn.set(conn.id, { token, caller: conn.caller!, frames: [], bytes: 0, lastSeq: conn.lastSeq, firstKeptSeq: conn.lastSeq + 1 });
    return token;
  }

  /** Records one sequenced frame of an attached connection (sent or dropped alike). */
  record(connId: string, seq: number, text: string): void {
    const ring = this.byConn.get(connId);
    if (ring) this.push(ring, seq, text);
  }

  /** The socket closed: keep the ring, capturing events, until the client returns or `ttlMs` passes. */
  detach(connId: string): void {
    const ring = this.byConn.get(connId);
    if (!ring) return;
    this.byConn.delete(connId);
    ring.expiresAt = Date.now() + this.limits.ttlMs;
    if (this.detached.size >= this.limits.maxDetached) {
      const oldest = this.detached.keys().next().value;
      if (oldest !== undefined) this.detached.delete(oldest);
    }
    this.detached.set(ring.token, ring);
  }

  /** Offers a broadcast event to every detached ring whose caller would have received it. */
  capture(event: EventName, payloadJson: string, stateVersionJson: string | undefined, filter?: (caller: CallerInfo) => boolean): void {
    if (this.detached.size === 0) return;
    const spec = events[event];
    const eventJson = JSON.stringify(event);
    for (const ring of this.detached.values()) {
      if (!canReceive(ring.caller, spec.access)) continue;
      if (filter && !filter(ring.caller)) continue;
      const seq = ring.lastSeq + 1;
      this.push(ring, seq, `{"type":"event","event":${eventJson},"payload":${payloadJson},"seq":${seq}${stateVersionJson ? `,"stateVersion":${stateVersionJson}` : ''}}`);
    }
  }

  /**
   * Tries to resume: consumes the token and returns the frames after `lastSeq`, or `resumed:false`
   * when they are gone or the caller is not the one the ring belongs to.
   */
  resume(token: string, lastSeq: number, caller: CallerInfo): ResumeOutcome {
    let ring = this.detached.get(token);
    let staleConnId: string | undefined;
    if (ring) {
      this.detached.delete(token);
    } else {
      // The client came back before the gateway noticed its old socket died: take that ring over.
      for (const [connId, r] of this.byConn) {
        if (r.token !== token) continue;
        ring = r;
        staleConnId = connId;
        this.byConn.delete(connId);
        break;
      }
    }
    if (!ring) return { resumed: false };
    if (ring.expiresAt !== undefined && ring.expiresAt < Date.now()) return { resumed: false };
    const same = ring.caller.role === caller.role && ring.caller.deviceId === caller.deviceId && scopesCover(caller.scopes, ring.caller.scopes);
    if (!same || lastSeq > ring.lastSeq || lastSeq + 1 < ring.firstKeptSeq) return { resumed: false };
    return { resumed: true, lastSeq: ring.lastSeq, frames: ring.frames.filter((f) => f.seq > lastSeq).map((f) => f.text), ...(staleConnId ? { staleConnId } : {}) };
  }

  /** Drops expired rings every few seconds until {@link stop}. */
  start(): void {
    this.sweepTimer = setInterval(() => {
      const now = Date.now();
      for (const [token, ring] of this.detached) if (ring.expiresAt! < now) this.detached.delete(token);
    }, 5_000);
    this.sweepTimer.unref();
  }

  stop(): void {
    clearInterval(this.sweepTimer);
    this.byConn.clear();
    this.detached.clear();
  }

  /** Rings waiting for their client (for status and tests). */
  get detachedCount(): number {
    return this.detached.size;
  }

  private push(ring: Ring, seq: number, text: string): void {
    ring.lastSeq = seq;
    ring.frames.push({ seq, text });
    ring.bytes += text.length;
    while (ring.frames.length > this.limits.maxEvents || ring.bytes > this.limits.maxBytes) {
      const gone = ring.frames.shift()!;
      ring.bytes -= gone.text.length;
      ring.firstKeptSeq = gone.seq + 1;
    }
  }
}
