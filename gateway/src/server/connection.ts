/**
 * One WebSocket client, as an explicit state machine:
 *
 *   handshaking ──connect ok──▶ open ──close()──▶ closing ──socket closed──▶ closed
 *        └──────────── handshake failure / timeout / close() ──────────────────┘
 *
 * The connection owns its socket, its per-connection event `seq`, its send-buffer accounting and
 * its request budget. Handlers never see it: they get a {@link CallerInfo} through their context.
 */
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { ClientInfo, ErrorShape, Role } from '@switchboard/protocol';
import type { Limits } from '../config/limits.js';
import { toJson } from '../json-cache.js';
import type { PeerInfo } from './peer.js';

export type ConnectionState = 'handshaking' | 'open' | 'closing' | 'closed';

/** Who the caller is once the handshake succeeded. This is all a handler learns about a connection. */
export interface CallerInfo {
  readonly connId: string;
  readonly role: Role;
  readonly scopes: readonly string[];
  readonly client: ClientInfo;
  readonly caps: readonly string[];
  /** Verified device id, when the client signed the handshake. */
  readonly deviceId?: string;
  /** How the handshake was authenticated. */
  readonly authMethod: 'token' | 'password' | 'device-token' | 'none' | 'local';
  readonly peer: Readonly<PeerInfo>;
  /** What a node declared in its connect (role `node` only). */
  readonly node?: NodeDeclaration;
}

/** The commands, permissions and PATH a node declared in `connect` (claims; the gateway's policy decides). */
export interface NodeDeclaration {
  readonly commands: readonly string[];
  readonly permissions?: Readonly<Record<string, boolean>>;
  readonly pathEnv?: string;
}

/** What happened to one event sent to one connection. */
export type SendOutcome = 'sent' | 'dropped' | 'closed';

/** Hooks the server installs to observe a connection (replay buffers, metrics). */
export interface ConnectionObserver {
  /** Called for every sequenced event after its seq was assigned, sent or dropped. */
  onSequencedEvent?(conn: Connection, seq: number, frame: string, outcome: SendOutcome): void;
}

export class Connection {
  readonly id = randomUUID();
  /** The challenge nonce sent on open; a signed connect must echo it. Single use. */
  readonly nonce = randomUUID();
  readonly openedAt = Date.now();
  state: ConnectionState = 'handshaking';
  caller?: CallerInfo;
  /** Frames that arrived while the handshake was being processed, replayed once it succeeds. */
  readonly pendingFrames: Buffer[] = [];
  /** Answered a ping since the last keepalive sweep. */
  alive = true;
  /** Events skipped because the client was slow. */
  droppedEvents = 0;

  private seq = 0;
  private nonceSpent = false;
  private overMarkSince: number | undefined;
  private budgetWindowStart = Date.now();
  private budgetCount = 0;
  private failureWindowStart = Date.now();
  private failureCount = 0;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  private readonly closeListeners: Array<() => void> = [];

  constructor(
    readonly ws: WebSocket,
    readonly peer: PeerInfo,
    private readonly limits: Limits,
    private readonly observer: ConnectionObserver = {},
  ) {}

  /** The last seq assigned to an event on this connection (0 before the first). */
  get lastSeq(): number {
    return this.seq;
  }

  /** Returns the challenge nonce the first time only: a nonce signs one connect, never two. */
  spendNonce(): string | undefined {
    if (this.nonceSpent) return undefined;
    this.nonceSpent = true;
    return this.nonce;
  }

  /** Continues numbering from an earlier connection (used when a client resumes). */
  continueSeqFrom(seq: number): void {
    if (this.seq === 0) this.seq = seq;
  }

  /** Starts the handshake timer; `onTimeout` runs if the handshake has not finished in time. */
  startHandshakeTimer(onTimeout: () => void): void {
    this.handshakeTimer = setTimeout(() => {
      if (this.state === 'handshaking') onTimeout();
    }, this.limits.handshakeTimeoutMs);
    this.handshakeTimer.unref?.();
  }

  /** Marks the handshake complete. */
  open(caller: CallerInfo): void {
    if (this.state !== 'handshaking') return;
    clearTimeout(this.handshakeTimer);
    this.caller = caller;
    this.state = 'open';
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /**
   * Sends a raw text frame unless the connection is closing. Replies count against the send buffer
   * like events do (see {@link admitSend}): a client that stops reading while it keeps sending
   * requests is paused, then closed, instead of growing the gateway's memory.
   */
  sendText(text: string): boolean {
    if (this.state === 'closing' || this.state === 'closed') return false;
    if (this.admitSend() === 'closed') return false;
    this.ws.send(text);
    return true;
  }

  sendResponse(id: string, payload: unknown): boolean {
    // Same bytes as JSON.stringify({ type, id, ok, payload }), reusing a snapshot's remembered JSON.
    const body = toJson(payload);
    return this.sendText(`{"type":"res","id":${JSON.stringify(id)},"ok":true${body === undefined ? '' : `,"payload":${body}`}}`);
  }

  sendError(id: string, error: ErrorShape): boolean {
    return this.sendText(JSON.stringify({ type: 'res', id, ok: false, error }));
  }

  /** Sends an event without seq (targeted events: challenge, node invoke requests). */
  sendTargetedEvent(event: string, payloadJson: string): boolean {
    return this.sendText(`{"type":"event","event":${JSON.stringify(event)},"payload":${payloadJson}}`);
  }

  /**
   * Sends a sequenced event, applying backpressure: above the high-water mark a droppable event is
   * skipped (its seq is consumed, so the client sees the gap), a non-droppable one is still sent
   * but starts the slow-consumer clock; at twice the mark the connection is closed at once.
   */
  sendSequencedEvent(eventJson: string, payloadJson: string, droppable: boolean, stateVersionJson?: string): SendOutcome {
    if (this.state !== 'open') return 'closed';
    const seq = ++this.seq;
    const frame = `{"type":"event","event":${eventJson},"payload":${payloadJson},"seq":${seq}${stateVersionJson ? `,"stateVersion":${stateVersionJson}` : ''}}`;
    const admission = this.admitSend();
    let outcome: SendOutcome;
    if (admission === 'closed') {
      outcome = 'closed';
    } else if (admission === 'over' && droppable) {
      this.droppedEvents++;
      outcome = 'dropped';
    } else {
      this.ws.send(frame);
      outcome = 'sent';
    }
    this.observer.onSequencedEvent?.(this, seq, frame, outcome);
    return outcome;
  }

  /**
   * The send-buffer accounting every outgoing frame goes through. Above `maxBufferedBytes` the
   * slow-consumer clock starts and the socket stops reading (no new requests, so no new replies,
   * until the buffer drains); above twice the mark the connection is closed at once with 1008
   * "slow consumer". Returns `'ok'`, `'over'` (above the mark, still sending) or `'closed'`.
   */
  private admitSend(): 'ok' | 'over' | 'closed' {
    const buffered = this.ws.bufferedAmount;
    const mark = this.limits.maxBufferedBytes;
    if (buffered <= mark) return 'ok';
    this.overMarkSince ??= Date.now();
    if (buffered > 2 * mark) {
      this.close(1008, 'slow consumer');
      return 'closed';
    }
    this.pauseReading();
    return 'over';
  }

  /** Stops reading the client's frames until the send buffer has drained (the socket's 'drain'). */
  private pauseReading(): void {
    if (this.ws.isPaused) return;
    this.ws.pause();
    const socket = (this.ws as unknown as { _socket?: NodeJS.EventEmitter })._socket;
    // The keepalive sweep resumes too (checkSlowConsumer), in case 'drain' never comes.
    socket?.once('drain', () => {
      if (this.ws.bufferedAmount <= this.limits.maxBufferedBytes) this.resumeReading();
    });
  }

  /** The buffer is back under the mark: stop the clock and read the client's frames again. */
  private resumeReading(): void {
    this.overMarkSince = undefined;
    if (this.ws.isPaused && (this.state === 'open' || this.state === 'handshaking')) this.ws.resume();
  }

  /**
   * Called by the keepalive sweep: closes a client that stayed above the high-water mark for longer
   * than the grace period, and resumes reading from one whose buffer drained. Returns true when it
   * closed the connection.
   */
  checkSlowConsumer(now: number): boolean {
    if (this.overMarkSince === undefined) return false;
    if (this.ws.bufferedAmount <= this.limits.maxBufferedBytes) {
      this.resumeReading();
      return false;
    }
    if (now - this.overMarkSince < this.limits.slowConsumerGraceMs) return false;
    this.close(1008, 'slow consumer');
    return true;
  }

  /** Counts one request against the budget; false means the budget is spent. */
  spendRequestBudget(now: number): boolean {
    const { maxRequests, windowMs } = this.limits.requestBudget;
    if (now - this.budgetWindowStart >= windowMs) {
      this.budgetWindowStart = now;
      this.budgetCount = 0;
    }
    return ++this.budgetCount <= maxRequests;
  }

  /** Milliseconds until the current request-budget window ends (a fresh budget starts then). */
  budgetRetryAfterMs(now: number): number {
    return Math.max(0, this.budgetWindowStart + this.limits.requestBudget.windowMs - now);
  }

  /** Counts one failed request; false means the client keeps failing and should be cut off. */
  recordFailure(now: number): boolean {
    if (now - this.failureWindowStart >= 60_000) {
      this.failureWindowStart = now;
      this.failureCount = 0;
    }
    return ++this.failureCount <= this.limits.maxFailedRequestsPerMinute;
  }

  /** Runs `listener` once when the connection is closed (idempotent close included). */
  onClosed(listener: () => void): void {
    if (this.state === 'closed') listener();
    else this.closeListeners.push(listener);
  }

  /**
   * Closes the connection. Idempotent: only the first call sends a close frame; the socket is
   * terminated if the peer does not complete the close within two seconds.
   */
  close(code = 1000, reason = ''): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.state = 'closing';
    clearTimeout(this.handshakeTimer);
    try {
      this.ws.close(code, truncateReason(reason));
    } catch {
      this.ws.terminate();
    }
    this.closeTimer = setTimeout(() => this.ws.terminate(), 2_000);
    this.closeTimer.unref?.();
  }

  /** Called by the server when the socket has closed (by either side). */
  markClosed(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.handshakeTimer);
    clearTimeout(this.closeTimer);
    for (const l of this.closeListeners.splice(0)) {
      try {
        l();
      } catch {
        // A listener's failure must not stop the others.
      }
    }
  }
}

/** Close reasons are limited to 123 bytes by the WebSocket protocol. */
export function truncateReason(reason: string): string {
  const buf = Buffer.from(reason, 'utf8');
  if (buf.length <= 123) return reason;
  return buf.subarray(0, 120).toString('utf8').replace(/\uFFFD+$/, '') + '...';
}
