/**
 * The WebSocket side of the port: upgrades, the per-connection frame loop, keepalive and tick.
 *
 * Frame rules (see docs/protocol.md):
 * - before `connect`: non-JSON or a non-request frame closes the socket (1008, no reply); any other
 *   request gets INVALID_REQUEST and a 1008 close; frames above 64 KiB close with 1009;
 * - after: an invalid frame gets INVALID_REQUEST with the frame's id (or "invalid"), the socket stays
 *   open; an oversize frame gets INVALID_REQUEST/PAYLOAD_TOO_LARGE; unparseable text is logged.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { CloseCodes, GatewayError, type RequestFrame } from '@switchboard/protocol';
import { formatValidationErrors, type ProtocolValidators } from '@switchboard/protocol/validators';
import type { GatewayServices } from '../context.js';
import type { Log } from '../log.js';
import { Connection, type ConnectionObserver } from './connection.js';
import type { Dispatcher } from './dispatcher.js';
import { performHandshake } from './handshake.js';
import { readPeer, type PeerInfo } from './peer.js';
import { TrustedProxies } from './forwarded.js';

/** Decides whether an upgrade may proceed; returns an HTTP status and message to refuse it. */
export type UpgradeGuard = (req: IncomingMessage, peer: PeerInfo) => { status: number; message: string } | undefined;

/** Hooks other areas attach to the connection lifecycle. */
export interface ConnectionHooks {
  /** A socket was accepted and its handshake started. */
  accepted?(conn: Connection): void;
  /** After hello-ok was sent. */
  opened?(conn: Connection): void;
  /** After an open connection closed. */
  closed?(conn: Connection): void;
  /** A socket closed before its handshake succeeded. */
  discarded?(conn: Connection): void;
  /** The keepalive sweep ran (about once a second): cheap periodic checks. */
  swept?(now: number): void;
}

export class WsServer {
  readonly wss: WebSocketServer;
  private readonly upgradeGuards: UpgradeGuard[] = [];
  private readonly hooks: ConnectionHooks[] = [];
  /** Connections whose connect request is being processed. */
  private readonly handshakeBusy = new Set<Connection>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private accepting = true;
  private pingRound = 0;
  private readonly proxies: TrustedProxies;

  constructor(
    private readonly services: GatewayServices,
    private readonly dispatcher: Dispatcher,
    private readonly validators: ProtocolValidators,
    private readonly log: Log,
    private readonly observer: ConnectionObserver = {},
  ) {
    const limits = services.options.limits;
    this.proxies = new TrustedProxies(services.options.trustedProxies);
    // ws enforces a hard ceiling (close 1009); frames between maxPayload and the ceiling get a typed error.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxPayload * 2, perMessageDeflate: false, clientTracking: false });
  }

  addUpgradeGuard(guard: UpgradeGuard): void {
    this.upgradeGuards.push(guard);
  }

  addHooks(hooks: ConnectionHooks): void {
    this.hooks.push(hooks);
  }

  /** The node:http 'upgrade' listener. */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    if (!this.accepting) return refuse(socket, 503, 'gateway is shutting down');
    const peer = readPeer(req, this.proxies);
    for (const guard of this.upgradeGuards) {
      const refusal = guard(req, peer);
      if (refusal) return refuse(socket, refusal.status, refusal.message);
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, peer));
  };

  /** Starts the keepalive sweep (pings, slow consumers) and the tick broadcast. */
  start(): void {
    const limits = this.services.options.limits;
    const sweepMs = Math.min(1_000, limits.pingIntervalMs);
    const pingEvery = Math.max(1, Math.round(limits.pingIntervalMs / sweepMs));
    this.sweepTimer = setInterval(() => this.sweep(++this.pingRound % pingEvery === 0), sweepMs);
    this.sweepTimer.unref();
    this.tickTimer = setInterval(() => this.services.broadcaster.broadcast('tick', { ts: Date.now() }), limits.tickIntervalMs);
    this.tickTimer.unref();
  }

  /** Stops accepting upgrades and stops the timers. */
  stopAccepting(): void {
    this.accepting = false;
    clearInterval(this.sweepTimer);
    clearInterval(this.tickTimer);
  }

  private accept(ws: WebSocket, peer: PeerInfo): void {
    const conn = new Connection(ws, peer, this.services.options.limits, this.observer);
    this.services.connections.add(conn);
    ws.on('message', (data, isBinary) => this.onMessage(conn, data, isBinary));
    ws.on('pong', () => { conn.alive = true; });
    ws.on('error', (err) => this.log.debug({ conn: conn.id, err: err.message }, 'socket error'));
    ws.on('close', () => {
      const wasOpen = conn.caller !== undefined;
      conn.markClosed();
      this.services.connections.delete(conn);
      if (wasOpen) for (const h of this.hooks) h.closed?.(conn);
      else for (const h of this.hooks) h.discarded?.(conn);
    });
    for (const h of this.hooks) h.accepted?.(conn);
    conn.startHandshakeTimer(() => conn.close(CloseCodes.POLICY_VIOLATION, 'handshake timeout'));
    this.services.broadcaster.sendTo(conn, 'connect.challenge', { nonce: conn.nonce, ts: Date.now() });
  }

  private onMessage(conn: Connection, data: RawData, isBinary: boolean): void {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
    const limits = this.services.options.limits;
    if (conn.state === 'handshaking') {
      if (buf.length > limits.maxPreauthPayload) return conn.close(CloseCodes.MESSAGE_TOO_BIG, 'frame too large before connect');
      if (this.handshakeBusy.has(conn)) {
        // The connect is still being processed; keep a few pipelined frames for after hello-ok.
        if (conn.pendingFrames.length >= limits.maxPendingHandshakeFrames) return conn.close(CloseCodes.POLICY_VIOLATION, 'too many frames before connect');
        conn.pendingFrames.push(buf);
        return;
      }
      void this.onHandshakeFrame(conn, buf, isBinary);
      return;
    }
    if (conn.state !== 'open') return;
    const now = Date.now();
    if (!conn.spendRequestBudget(now)) return this.budgetExceeded(conn, buf, now);
    if (buf.length > limits.maxPayload) {
      conn.sendError(extractId(buf), new GatewayError('INVALID_REQUEST', `frame of ${buf.length} bytes exceeds policy.maxPayload (${limits.maxPayload})`, {
        details: { code: 'PAYLOAD_TOO_LARGE', maxPayload: limits.maxPayload, size: buf.length },
      }).toShape());
      return;
    }
    let frame: unknown;
    try {
      frame = JSON.parse(buf.toString('utf8'));
    } catch {
      this.log.debug({ conn: conn.id }, 'unparseable frame ignored');
      if (!conn.recordFailure(Date.now())) conn.close(CloseCodes.POLICY_VIOLATION, 'too many failed requests');
      return;
    }
    if (!this.validators.requestFrame(frame)) {
      const id = typeof (frame as { id?: unknown })?.id === 'string' && (frame as { id: string }).id ? (frame as { id: string }).id : 'invalid';
      conn.sendError(id, new GatewayError('INVALID_REQUEST', `invalid request frame: ${formatValidationErrors(this.validators.requestFrame.errors)}`).toShape());
      if (!conn.recordFailure(Date.now())) conn.close(CloseCodes.POLICY_VIOLATION, 'too many failed requests');
      return;
    }
    this.dispatcher.dispatch(conn, frame as RequestFrame);
  }

  /** Answers the request over budget with RATE_LIMITED (so the client learns why and when), then closes 1008. */
  private budgetExceeded(conn: Connection, buf: Buffer, now: number): void {
    const { maxRequests, windowMs } = this.services.options.limits.requestBudget;
    const retryAfterMs = conn.budgetRetryAfterMs(now);
    this.log.warn({ conn: conn.id, addr: conn.peer.clientAddress }, 'closing connection: request budget exceeded');
    conn.sendError(extractId(buf), new GatewayError('RATE_LIMITED',
      `more than ${maxRequests} requests within ${windowMs} ms on one connection (policy.requestBudget); reconnect after retryAfterMs and send fewer requests`,
      { retryAfterMs, details: { code: 'CONNECTION_BUDGET_EXCEEDED', maxRequests, windowMs } }).toShape());
    conn.close(CloseCodes.POLICY_VIOLATION, 'request budget exceeded');
  }

  private async onHandshakeFrame(conn: Connection, buf: Buffer, isBinary: boolean): Promise<void> {
    let frame: unknown;
    try {
      if (isBinary) throw new Error('binary');
      frame = JSON.parse(buf.toString('utf8'));
    } catch {
      return conn.close(CloseCodes.POLICY_VIOLATION, 'invalid handshake: not JSON');
    }
    if (!this.validators.requestFrame(frame)) {
      return conn.close(CloseCodes.POLICY_VIOLATION, 'invalid handshake: not a request frame');
    }
    const req = frame as RequestFrame;
    let result;
    this.handshakeBusy.add(conn);
    try {
      result = await performHandshake(conn, req, this.services, this.validators);
    } catch (err) {
      const error = this.dispatcher.toGatewayError(err, 'connect');
      conn.sendError(req.id, error.toShape());
      return conn.close(CloseCodes.INTERNAL_ERROR, 'handshake failed');
    } finally {
      this.handshakeBusy.delete(conn);
    }
    if (conn.state !== 'handshaking') return;
    if (!result.ok) {
      conn.sendError(req.id, result.error.toShape());
      // Close after the reply is flushed, as OpenClaw does on the next microtask.
      queueMicrotask(() => conn.close(result.closeCode, result.closeReason));
      return;
    }
    conn.open(result.caller);
    if (result.resume) {
      const token = this.services.replay.attach(conn);
      result.hello.resume = { token, resumed: result.resume.resumed, ...(result.resume.requested && !result.resume.resumed ? { resync: true } : {}) };
    }
    conn.sendResponse(req.id, result.hello);
    if (result.resume?.resumed) {
      // Missed events first, in order, with their original numbers; live events follow.
      for (const frame of result.resume.frames) {
        conn.sendText(frame);
        this.services.replay.record(conn.id, JSON.parse(frame).seq, frame);
      }
    }
    for (const h of this.hooks) h.opened?.(conn);
    for (const pending of conn.pendingFrames.splice(0)) this.onMessage(conn, pending, false);
  }

  private sweep(ping: boolean): void {
    const now = Date.now();
    for (const conn of this.services.connections.values()) {
      if (conn.checkSlowConsumer(now) || !ping) continue;
      if (!conn.alive) {
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      try {
        conn.ws.ping();
      } catch {
        conn.ws.terminate();
      }
    }
    for (const h of this.hooks) {
      try {
        h.swept?.(now);
      } catch (err) {
        // A periodic check that fails (a busy database) tries again next sweep; the timer must live on.
        this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'sweep check failed; retrying on the next sweep');
      }
    }
  }
}

/** Refuses an upgrade with a plain HTTP response. */
function refuse(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ ok: false, error: message });
  socket.end(`HTTP/1.1 ${status} ${statusText(status)}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

function statusText(status: number): string {
  return ({ 400: 'Bad Request', 403: 'Forbidden', 429: 'Too Many Requests', 503: 'Service Unavailable' } as Record<number, string>)[status] ?? 'Error';
}

/** Reads the request id from the head of an oversize frame without parsing all of it. */
function extractId(buf: Buffer): string {
  const head = buf.subarray(0, 512).toString('utf8');
  const m = /"id"\s*:\s*"((?:[^"\\]|\\.){1,200})"/.exec(head);
  return m ? m[1] : 'invalid';
}
