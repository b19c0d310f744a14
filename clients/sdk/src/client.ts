/**
 * GatewayClient: the typed client for the Switchboard (and OpenClaw v4) control plane.
 *
 * - `call(method, params)` is typed from the protocol's method table; no codegen.
 * - Pending calls (sent, awaiting `res`) and outgoing calls (waiting for the connection) are kept
 *   apart; every pending call is rejected when the socket closes, outgoing ones wait for the
 *   reconnect (bounded by their own timeout).
 * - Reconnects with backoff (1 s doubling to 30 s), detects a silent link (nothing for twice the
 *   tick interval → close 4000 and reconnect), reports `seq` gaps, and — with `resume: true` — asks
 *   the gateway to replay what it missed.
 */
import {
  GatewayError, MIN_CLIENT_PROTOCOL_VERSION, PROTOCOL_VERSION, CloseCodes, buildDeviceAuthPayloadV3,
  type CallableMethod, type ClientInfo, type ConnectParams, type EventFrame, type EventName, type Events,
  type FinalOf, type HelloOk, type Methods, type ParamsOf, type PayloadOf, type ResultOf, type Role,
} from '@switchboard/protocol';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
import { globalWebSocketFactory, WS_OPEN, type WebSocketFactory, type WebSocketLike } from './socket.js';

/** A signing device identity (Ed25519). */
export interface DeviceIdentity {
  /** Lowercase hex SHA-256 of the raw public key. */
  readonly deviceId: string;
  /** Base64url raw 32-byte public key. */
  readonly publicKey: string;
  /** Returns the base64url Ed25519 signature of `payload`. */
  sign(payload: string): string | Promise<string>;
}

/** Where a client keeps the device tokens the gateway issues after pairing. */
export interface DeviceTokenStore {
  load(role: Role): string | undefined;
  save(role: Role, token: string, scopes: readonly string[]): void;
  clear?(role: Role): void;
}

export type ClientState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface GatewayClientOptions {
  url: string;
  token?: string;
  password?: string;
  /** Client info; defaults to a `gateway-client` in `backend` mode. */
  client?: Partial<ClientInfo>;
  role?: Role;
  scopes?: string[];
  caps?: string[];
  commands?: string[];
  permissions?: Record<string, boolean>;
  pathEnv?: string;
  device?: DeviceIdentity;
  deviceTokens?: DeviceTokenStore;
  /** Default per-call timeout. Default 30 s. */
  requestTimeoutMs?: number;
  /** Time to wait for `connect.challenge` and then `hello-ok`. Default 15 s. */
  connectTimeoutMs?: number;
  /** Reconnect after the connection drops. Default true. */
  reconnect?: boolean;
  backoff?: Partial<BackoffPolicy>;
  /** Ask the gateway to replay missed events after a reconnect (`switchboard.resume`). */
  resume?: boolean;
  /** Max calls waiting for a connection. Default 1000. */
  maxOutgoing?: number;
  webSocket?: WebSocketFactory;
  onStateChange?: (state: ClientState) => void;
  /** Called when event `seq` skips numbers: events were dropped; re-fetch state. */
  onGap?: (gap: { expected: number; received: number; event: string }) => void;
  /** Called after a reconnect that could not be resumed: missed events are gone; re-fetch state. */
  onResync?: () => void;
  /** Called when a (re)connect attempt fails the handshake. */
  onHandshakeError?: (error: GatewayError) => void;
}

export interface CallOptions {
  timeoutMs?: number;
  /** Abort the wait (the request may still run on the gateway). */
  signal?: AbortSignal;
}

type ParamsArgs<M extends CallableMethod> = {} extends ParamsOf<Methods[M]>
  ? [params?: ParamsOf<Methods[M]>, options?: CallOptions]
  : [params: ParamsOf<Methods[M]>, options?: CallOptions];

interface PendingCall {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Skip `status: "accepted"` acks and resolve with the final answer. */
  expectFinal: boolean;
}

interface OutgoingCall extends PendingCall {
  id: string;
  method: string;
  params: unknown;
}

type Listener = (payload: unknown, frame: EventFrame) => void;

const CLIENT_VERSION = '0.1.0';

function defaultPlatform(): string {
  const p = (globalThis as { process?: { platform?: string } }).process?.platform;
  if (p) return p;
  const nav = (globalThis as { navigator?: { platform?: string } }).navigator;
  return nav?.platform || 'web';
}

export class GatewayClient {
  private ws: WebSocketLike | undefined;
  private stateValue: ClientState = 'idle';
  private helloValue: HelloOk | undefined;
  private readonly pending = new Map<string, PendingCall>();
  private readonly outgoing: OutgoingCall[] = [];
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly anyListeners = new Set<(frame: EventFrame) => void>();
  private nextId = 1;
  private readonly idPrefix = Math.random().toString(36).slice(2, 8);
  private lastSeq = 0;
  private lastMessageAt = 0;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private tickTimer: ReturnType<typeof setInterval> | undefined;
  private resumeToken: string | undefined;
  private startWaiters: Array<{ resolve(h: HelloOk): void; reject(e: Error): void }> = [];
  private readonly options: GatewayClientOptions;
  private readonly factory: WebSocketFactory;
  private readonly backoff: BackoffPolicy;
  private readonly instanceId = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;

  constructor(options: GatewayClientOptions) {
    this.options = options;
    const factory = options.webSocket ?? globalWebSocketFactory();
    if (!factory) throw new Error('no WebSocket implementation: pass options.webSocket (use @switchboard/sdk/node on Node 20)');
    this.factory = factory;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
  }

  get state(): ClientState {
    return this.stateValue;
  }

  /** The last hello-ok (policy, snapshot, auth), once connected. */
  get hello(): HelloOk | undefined {
    return this.helloValue;
  }

  /** Connects (if not already) and resolves with hello-ok; rejects if the first handshake fails. */
  start(): Promise<HelloOk> {
    if (this.stateValue === 'open' && this.helloValue) return Promise.resolve(this.helloValue);
    if (this.stateValue === 'closed') return Promise.reject(new GatewayError('UNAVAILABLE', 'client is closed'));
    const p = new Promise<HelloOk>((resolve, reject) => this.startWaiters.push({ resolve, reject }));
    if (this.stateValue === 'idle') this.connect();
    return p;
  }

  /** Calls a method from the protocol table. */
  call<M extends CallableMethod>(method: M, ...args: ParamsArgs<M>): Promise<ResultOf<Methods[M]>> {
    const [params, options] = args;
    return this.send(method, params ?? {}, options, false) as Promise<ResultOf<Methods[M]>>;
  }

  /** Calls a two-answer method (`agent`) and resolves with its final answer, skipping the ack. */
  callFinal<M extends CallableMethod>(method: M, ...args: ParamsArgs<M>): Promise<FinalOf<Methods[M]>> {
    const [params, options] = args;
    return this.send(method, params ?? {}, options, true) as Promise<FinalOf<Methods[M]>>;
  }

  /** Calls any method by name, untyped (the CLI's `call` command). */
  request(method: string, params: unknown = {}, options: CallOptions & { expectFinal?: boolean } = {}): Promise<unknown> {
    return this.send(method, params, options, options.expectFinal ?? false);
  }

  /** Subscribes to one event; returns the unsubscribe function. */
  on<E extends EventName>(event: E, listener: (payload: PayloadOf<Events[E]>, frame: EventFrame) => void): () => void;
  on(event: string, listener: Listener): () => void;
  on(event: string, listener: Listener): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => set!.delete(listener);
  }

  /** Subscribes to every event frame. */
  onAny(listener: (frame: EventFrame) => void): () => void {
    this.anyListeners.add(listener);
    return () => this.anyListeners.delete(listener);
  }

  /** Drops the current socket without closing the client, as a network failure would (tests, "resume now"). */
  dropConnection(): void {
    this.ws?.close(CloseCodes.NORMAL, 'client dropped connection');
  }

  /** Closes for good: rejects every pending and outgoing call. Idempotent. */
  close(): void {
    if (this.stateValue === 'closed') return;
    this.setState('closed');
    clearTimeout(this.reconnectTimer);
    clearInterval(this.tickTimer);
    const err = new GatewayError('UNAVAILABLE', 'client closed');
    this.failAll(err);
    for (const o of this.outgoing.splice(0)) this.settle(o, () => o.reject(err));
    for (const w of this.startWaiters.splice(0)) w.reject(err);
    try {
      this.ws?.close(CloseCodes.NORMAL, 'client closed');
    } catch {
      // already closed
    }
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────────

  private send(method: string, params: unknown, options: CallOptions = {}, expectFinal: boolean): Promise<unknown> {
    if (this.stateValue === 'closed') return Promise.reject(new GatewayError('UNAVAILABLE', 'client is closed'));
    const id = `${this.idPrefix}-${this.nextId++}`;
    return new Promise((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs ?? 30_000;
      const call: OutgoingCall = { id, method, params, resolve, reject, timer: undefined, expectFinal };
      call.timer = setTimeout(() => {
        this.pending.delete(id);
        const i = this.outgoing.indexOf(call);
        if (i >= 0) this.outgoing.splice(i, 1);
        reject(new GatewayError('UNAVAILABLE', `request timed out after ${timeoutMs} ms: ${method}`, { retryable: true }));
      }, timeoutMs);
      options.signal?.addEventListener('abort', () => {
        this.settle(call, () => reject(new GatewayError('UNAVAILABLE', `request aborted: ${method}`)));
        this.pending.delete(id);
      }, { once: true });
      if (this.stateValue === 'open' && this.ws?.readyState === WS_OPEN) {
        this.transmit(call);
      } else {
        if (this.outgoing.length >= (this.options.maxOutgoing ?? 1_000)) {
          this.settle(call, () => reject(new GatewayError('UNAVAILABLE', 'too many calls waiting for the connection', { retryable: true })));
          return;
        }
        this.outgoing.push(call);
        if (this.stateValue === 'idle') this.connect();
      }
    });
  }

  private transmit(call: OutgoingCall): void {
    this.pending.set(call.id, call);
    this.ws!.send(JSON.stringify({ type: 'req', id: call.id, method: call.method, params: call.params }));
  }

  private settle(call: PendingCall, fn: () => void): void {
    clearTimeout(call.timer);
    fn();
  }

  private setState(state: ClientState): void {
    if (this.stateValue === state) return;
    this.stateValue = state;
    this.options.onStateChange?.(state);
  }

  private connect(): void {
    this.setState(this.attempt === 0 && !this.helloValue ? 'connecting' : 'reconnecting');
    let ws: WebSocketLike;
    try {
      ws = this.factory(this.options.url);
    } catch (err) {
      this.onSocketGone(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.ws = ws;
    let challenged = false;
    let handshakeDone = false;
    let opened = false;
    const connectTimer = setTimeout(() => {
      if (!handshakeDone) ws.close(CloseCodes.NORMAL, 'connect timeout');
    }, this.options.connectTimeoutMs ?? 15_000);

    ws.onmessage = (ev) => {
      this.lastMessageAt = Date.now();
      let frame: { type?: string; event?: string; id?: string; ok?: boolean; payload?: unknown; error?: unknown; seq?: number };
      try {
        frame = JSON.parse(typeof ev.data === 'string' ? ev.data : String(ev.data));
      } catch {
        return;
      }
      if (!handshakeDone) {
        if (frame.type === 'event' && frame.event === 'connect.challenge' && !challenged) {
          challenged = true;
          const challenge = frame.payload as { nonce: string; ts: number };
          void this.sendConnect(ws, challenge).catch((err) => {
            this.onHandshakeFailure(err instanceof GatewayError ? err : new GatewayError('UNAVAILABLE', `cannot build connect: ${String(err)}`));
            ws.close(CloseCodes.NORMAL, 'connect failed');
          });
          return;
        }
        if (frame.type === 'res' && frame.id === 'connect') {
          handshakeDone = true;
          clearTimeout(connectTimer);
          if (frame.ok) this.onHello(frame.payload as HelloOk);
          else {
            this.onHandshakeFailure(GatewayError.fromShape(frame.error as never));
          }
        }
        return;
      }
      if (frame.type === 'res') return this.onResponse(frame as never);
      if (frame.type === 'event') return this.onEvent(frame as EventFrame);
    };
    ws.onclose = (ev) => {
      clearTimeout(connectTimer);
      if (this.ws !== ws) return;
      this.onSocketGone(opened
        ? new GatewayError('UNAVAILABLE', `connection closed (${ev.code}${ev.reason ? ` ${ev.reason}` : ''})`, { retryable: true, details: { closeCode: ev.code, closeReason: ev.reason } })
        : new GatewayError('UNAVAILABLE', `cannot connect to ${this.options.url}`, { retryable: true, details: { code: 'CONNECT_FAILED' } }));
    };
    ws.onerror = () => {
      // onclose follows; the error itself carries nothing useful across implementations.
    };
    ws.onopen = () => {
      opened = true;
      this.lastMessageAt = Date.now();
    };
  }

  private async sendConnect(ws: WebSocketLike, challenge: { nonce: string; ts: number }): Promise<void> {
    const o = this.options;
    const role: Role = o.role ?? 'operator';
    const client: ClientInfo = {
      id: 'gateway-client',
      version: CLIENT_VERSION,
      platform: defaultPlatform(),
      mode: role === 'node' ? 'node' : 'backend',
      instanceId: this.instanceId,
      ...o.client,
    } as ClientInfo;
    const scopes = role === 'operator' ? (o.scopes ?? []) : [];
    const deviceToken = o.device && o.deviceTokens ? o.deviceTokens.load(role) : undefined;
    const auth: NonNullable<ConnectParams['auth']> = {};
    if (o.token) auth.token = o.token;
    if (o.password) auth.password = o.password;
    if (deviceToken) auth.deviceToken = deviceToken;
    const caps = [...(o.caps ?? [])];
    if (o.resume && !caps.includes('switchboard.resume')) caps.push('switchboard.resume');
    const params: ConnectParams = {
      minProtocol: role === 'node' ? 3 : MIN_CLIENT_PROTOCOL_VERSION,
      maxProtocol: PROTOCOL_VERSION,
      client,
      role,
      scopes,
      caps,
      ...(o.commands ? { commands: o.commands } : {}),
      ...(o.permissions ? { permissions: o.permissions } : {}),
      ...(o.pathEnv ? { pathEnv: o.pathEnv } : {}),
      ...(Object.keys(auth).length ? { auth } : {}),
    };
    if (o.resume && this.resumeToken) params.resume = { token: this.resumeToken, lastSeq: this.lastSeq };
    if (o.device) {
      const signedAt = Number.isInteger(challenge.ts) ? challenge.ts : Date.now();
      const payload = buildDeviceAuthPayloadV3({
        deviceId: o.device.deviceId, clientId: client.id, clientMode: client.mode, role, scopes,
        signedAtMs: signedAt, token: auth.token ?? auth.deviceToken ?? null, nonce: challenge.nonce,
        platform: client.platform, deviceFamily: client.deviceFamily,
      });
      params.device = { id: o.device.deviceId, publicKey: o.device.publicKey, signature: await o.device.sign(payload), signedAt, nonce: challenge.nonce };
    }
    if (ws.readyState === WS_OPEN) ws.send(JSON.stringify({ type: 'req', id: 'connect', method: 'connect', params }));
  }

  private onHello(hello: HelloOk): void {
    const resumed = hello.resume?.resumed === true;
    this.helloValue = hello;
    this.attempt = 0;
    if (hello.auth.deviceToken && this.options.deviceTokens) {
      this.options.deviceTokens.save(hello.auth.role as Role, hello.auth.deviceToken, hello.auth.scopes);
    }
    if (hello.resume?.token) this.resumeToken = hello.resume.token;
    if (!resumed) this.lastSeq = 0;
    if (hello.resume?.resync) this.options.onResync?.();
    this.setState('open');
    this.startTickWatchdog(hello.policy.tickIntervalMs);
    for (const w of this.startWaiters.splice(0)) w.resolve(hello);
    for (const call of this.outgoing.splice(0)) this.transmit(call);
  }

  private onResponse(frame: { id: string; ok: boolean; payload?: unknown; error?: never }): void {
    const call = this.pending.get(frame.id);
    if (!call) return;
    if (frame.ok && call.expectFinal && (frame.payload as { status?: string } | undefined)?.status === 'accepted') return;
    this.pending.delete(frame.id);
    this.settle(call, () => (frame.ok ? call.resolve(frame.payload) : call.reject(GatewayError.fromShape(frame.error!))));
  }

  private onEvent(frame: EventFrame): void {
    if (typeof frame.seq === 'number') {
      if (this.lastSeq > 0 && frame.seq > this.lastSeq + 1) {
        this.options.onGap?.({ expected: this.lastSeq + 1, received: frame.seq, event: frame.event });
      }
      if (frame.seq > this.lastSeq) this.lastSeq = frame.seq;
    }
    for (const l of this.anyListeners) l(frame);
    const set = this.listeners.get(frame.event);
    if (set) for (const l of set) l(frame.payload, frame);
  }

  private startTickWatchdog(tickIntervalMs: number): void {
    clearInterval(this.tickTimer);
    this.tickTimer = setInterval(() => {
      if (Date.now() - this.lastMessageAt > tickIntervalMs * 2) this.ws?.close(CloseCodes.TICK_TIMEOUT, 'tick timeout');
    }, tickIntervalMs);
    (this.tickTimer as { unref?: () => void }).unref?.();
  }

  private failAll(err: Error): void {
    for (const [id, call] of this.pending) {
      this.pending.delete(id);
      this.settle(call, () => call.reject(err));
    }
  }

  /**
   * The gateway refused the handshake. On the very first connect that is final (wrong token, not
   * paired): every waiting call fails and the client closes. Later, it is reported and the
   * reconnect loop carries on (a rotated token or an approval may fix it).
   */
  private onHandshakeFailure(err: GatewayError): void {
    // A stored device token the gateway no longer accepts is dropped; a signed connect gets a new one.
    if ((err.details as { code?: string } | undefined)?.code === 'AUTH_DEVICE_TOKEN_MISMATCH') this.options.deviceTokens?.clear?.(this.options.role ?? 'operator');
    this.options.onHandshakeError?.(err);
    if (this.helloValue) return;
    for (const w of this.startWaiters.splice(0)) w.reject(err);
    for (const o of this.outgoing.splice(0)) this.settle(o, () => o.reject(err));
    this.close();
  }

  private onSocketGone(err: Error): void {
    clearInterval(this.tickTimer);
    this.failAll(err);
    if (this.stateValue === 'closed') return;
    if (this.options.reconnect === false) {
      for (const w of this.startWaiters.splice(0)) w.reject(err);
      for (const o of this.outgoing.splice(0)) this.settle(o, () => o.reject(err));
      this.close();
      return;
    }
    this.setState('reconnecting');
    const delay = backoffDelay(this.backoff, this.attempt++);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }
}
