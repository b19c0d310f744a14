/**
 * The harness's own load client: one `ws` socket per connection speaking the gateway protocol
 * (challenge → connect → hello-ok, then `req`/`res` and events). Lean on purpose, so it measures
 * the server and not itself: frames are built as strings, one timer per connection instead of one
 * per request, and a `res` is matched by reading its `id` and `ok` from the head of the text — its
 * payload is parsed only if someone reads it (a bigger answer must not make the client slower).
 * Every wait is bounded by a timeout.
 */
import WebSocket from 'ws';
import { PROTOCOL_VERSION } from '@switchboard/protocol';
import { signedDevice, type BenchIdentity } from './device.js';

/** How to open one connection. */
export interface ConnectOptions {
  url: string;
  token: string;
  /** Client id and mode; `cli` (the default) is not tracked in presence, as in gateway-load.mjs. */
  clientId?: string;
  clientMode?: string;
  scopes?: readonly string[];
  /** Sign the handshake with this identity (Ed25519, v3 payload). */
  identity?: BenchIdentity;
  /** The device token hello-ok handed this identity earlier (sent as auth.deviceToken, as clients that keep it do). */
  deviceToken?: string;
  /** Time for the whole handshake. Default 15 s. */
  timeoutMs?: number;
}

/** A `res` frame as the client sees it. */
export interface Answer {
  ok: boolean;
  payload?: unknown;
  error?: { code: string; message: string };
}

/** The head every `res` from the gateway and the limit starts with (JSON.stringify key order). */
const RES_HEAD = /^\{"type":"res","id":"([^"\\]*)","ok":(true|false)[,}]/;

/** An answer whose body is parsed on first access. */
class LazyAnswer implements Answer {
  private parsed: { payload?: unknown; error?: Answer['error'] } | undefined;

  constructor(readonly ok: boolean, private readonly text: string) {}

  private frame(): { payload?: unknown; error?: Answer['error'] } {
    this.parsed ??= JSON.parse(this.text);
    return this.parsed!;
  }

  get payload(): unknown {
    return this.frame().payload;
  }

  get error(): Answer['error'] {
    return this.frame().error;
  }
}

/** An event frame as the client sees it. */
export interface EventFrame {
  event: string;
  payload?: any;
  seq?: number;
}

interface Pending {
  resolve(answer: Answer): void;
  reject(err: Error): void;
  sentAt: number;
}

export const DEFAULT_SCOPES = ['operator.read', 'operator.write'] as const;
const REQUEST_TIMEOUT_MS = 15_000;

export class BenchConnection {
  private readonly pending = new Map<string, Pending>();
  private nextId = 1;
  private watchdog: NodeJS.Timeout | undefined;
  private helloAnswer: Answer | undefined;
  /** Called for every event after the handshake. */
  onEvent: ((frame: EventFrame) => void) | undefined;
  closed = false;
  closeInfo = '';

  /** @param deviceId the identity this connection signed with, if any */
  private constructor(readonly ws: WebSocket, readonly deviceId?: string) {}

  /** The device token hello-ok handed a signed connection (present when the gateway issued one). */
  get deviceToken(): string | undefined {
    return this.hello?.auth?.deviceToken;
  }

  /** The hello-ok payload (parsed on first access). */
  get hello(): any {
    return this.helloAnswer?.payload;
  }

  /** Opens a connection and completes the handshake; rejects on refusal, close or timeout. */
  static open(options: ConnectOptions): Promise<BenchConnection> {
    const ws = new WebSocket(options.url, { perMessageDeflate: false, handshakeTimeout: options.timeoutMs ?? 15_000 });
    const conn = new BenchConnection(ws, options.identity?.deviceId);
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (err?: Error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (err) {
          ws.terminate();
          reject(err);
        } else {
          conn.startWatchdog();
          resolve(conn);
        }
      };
      const timer = setTimeout(() => finish(new Error('handshake timeout')), options.timeoutMs ?? 15_000);
      ws.on('error', (err) => finish(err));
      ws.on('close', (code, reason) => {
        conn.onClosed(`${code} ${reason.toString()}`.trim());
        finish(new Error(`closed during handshake: ${conn.closeInfo}`));
      });
      let challenged = false;
      ws.on('message', (data) => {
        const text = data.toString();
        const head = RES_HEAD.exec(text);
        if (head) return conn.onAnswer(head[1], new LazyAnswer(head[2] === 'true', text));
        const frame = JSON.parse(text);
        if (frame.type === 'res') return conn.onAnswer(frame.id, { ok: frame.ok, payload: frame.payload, error: frame.error });
        if (frame.type !== 'event') return;
        if (frame.event === 'connect.challenge' && !challenged) {
          challenged = true;
          conn.request('connect', connectParams(options, frame.payload)).then((answer) => {
            if (!answer.ok) return finish(new Error(`connect refused: ${answer.error?.code} ${answer.error?.message}`));
            conn.helloAnswer = answer;
            finish();
          }, (err: Error) => finish(err));
          return;
        }
        conn.onEvent?.(frame);
      });
    });
  }

  /** Sends one request; resolves with its answer (ok or error), rejects on close or timeout. */
  request(method: string, params: unknown = {}): Promise<Answer> {
    if (this.closed || this.ws.readyState !== WebSocket.OPEN) return Promise.reject(new Error(`socket not open (${this.closeInfo})`));
    const id = String(this.nextId++);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, sentAt: performance.now() });
      this.ws.send(`{"type":"req","id":"${id}","method":${JSON.stringify(method)},"params":${JSON.stringify(params)}}`);
    });
  }

  /** Closes politely (the server sees a normal close). */
  close(): void {
    if (!this.closed) this.ws.close(1000, 'bench done');
  }

  terminate(): void {
    this.ws.terminate();
  }

  private onAnswer(id: string, answer: Answer): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.resolve(answer);
  }

  private onClosed(info: string): void {
    this.closed = true;
    this.closeInfo = info;
    clearInterval(this.watchdog);
    const err = new Error(`socket closed ${info}`);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  // One timer per connection: fail requests that waited longer than the request timeout.
  private startWatchdog(): void {
    this.watchdog = setInterval(() => {
      const limit = performance.now() - REQUEST_TIMEOUT_MS;
      for (const [id, p] of this.pending) {
        if (p.sentAt > limit) continue;
        this.pending.delete(id);
        p.reject(new Error('request timeout'));
      }
    }, 1_000);
    this.watchdog.unref();
  }
}

function connectParams(options: ConnectOptions, challenge: { nonce: string; ts: number }): Record<string, unknown> {
  const client = { id: options.clientId ?? 'cli', version: 'bench-0.1', platform: process.platform, mode: options.clientMode ?? 'cli' };
  const scopes = [...(options.scopes ?? DEFAULT_SCOPES)];
  const params: Record<string, unknown> = {
    minProtocol: PROTOCOL_VERSION,
    maxProtocol: PROTOCOL_VERSION,
    client,
    role: 'operator',
    scopes,
    auth: { token: options.token, ...(options.deviceToken ? { deviceToken: options.deviceToken } : {}) },
  };
  if (options.identity) {
    params.device = signedDevice(options.identity, { client, role: 'operator', scopes, token: options.token, challenge });
  }
  return params;
}

/** The outcome of opening many connections. */
export interface OpenManyResult {
  conns: BenchConnection[];
  failures: string[];
  elapsedMs: number;
}

/**
 * Opens `count` connections with at most `concurrency` handshakes in flight. `options(i)` gives
 * each connection its options (e.g. its own identity). Stops starting new ones after `deadlineMs`.
 * Each successful handshake's duration (ms) is pushed to `handshakeMs` when given.
 */
export async function openMany(
  count: number,
  concurrency: number,
  options: (i: number) => ConnectOptions,
  deadlineMs = 120_000,
  handshakeMs?: number[],
): Promise<OpenManyResult> {
  const conns: BenchConnection[] = [];
  const failures: string[] = [];
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count && performance.now() - t0 < deadlineMs) {
      const i = next++;
      const start = performance.now();
      try {
        conns.push(await BenchConnection.open(options(i)));
        handshakeMs?.push(performance.now() - start);
      } catch (err) {
        failures.push(err instanceof Error ? err.message : String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { conns, failures, elapsedMs: performance.now() - t0 };
}

/** Closes every connection and waits (bounded) until they are closed; stragglers are terminated. */
export async function closeAll(conns: readonly BenchConnection[], timeoutMs = 10_000): Promise<void> {
  for (const c of conns) c.close();
  const end = performance.now() + timeoutMs;
  while (conns.some((c) => !c.closed) && performance.now() < end) await new Promise((r) => setTimeout(r, 25));
  for (const c of conns) if (!c.closed) c.terminate();
}

/** The most common failure messages, for the report. */
export function failureSummary(failures: readonly string[], top = 3): Array<{ message: string; count: number }> {
  const counts = new Map<string, number>();
  for (const f of failures) counts.set(f, (counts.get(f) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, top).map(([message, count]) => ({ message: message.slice(0, 160), count }));
}
