/**
 * A raw WebSocket for frame-level tests: send any text, wait for frames matching a predicate,
 * observe the close code. Every frame received is kept in `frames` and checked by the frame
 * recorder (see frames.ts) when one is installed; requests sent are tracked so a `res` is checked
 * against its method's result schema.
 */
import WebSocket from 'ws';
import { FrameTracker } from './frames.js';

export interface Frame {
  type: string;
  id?: string;
  ok?: boolean;
  payload?: any;
  error?: { code: string; message: string; details?: any; retryable?: boolean; retryAfterMs?: number };
  event?: string;
  seq?: number;
  stateVersion?: { presence: number; health: number };
  [k: string]: unknown;
}

export interface RawConnection {
  ws: WebSocket;
  frames: Frame[];
  send(data: unknown): void;
  sendText(text: string): void;
  next(match?: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  request(method: string, params?: unknown, id?: string): Promise<Frame>;
  closed: Promise<{ code: number; reason: string }>;
  terminate(): void;
  /** The hello-ok payload, once a handshake through this helper succeeded. */
  hello?: any;
}

let counter = 0;

export function openRaw(url: string, headers?: Record<string, string>, options: WebSocket.ClientOptions = {}): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { ...options, perMessageDeflate: false, headers });
    const tracker = new FrameTracker();
    const frames: Frame[] = [];
    // `frames` holds frames not yet taken by next(); waiters are next() calls still waiting.
    const waiters: Array<{ match: (f: Frame) => boolean; resolve(f: Frame): void }> = [];
    const closed = new Promise<{ code: number; reason: string }>((res) => ws.on('close', (code, reason) => res({ code, reason: reason.toString() })));
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString()) as Frame;
      tracker.received(f);
      frames.push(f);
      for (const w of [...waiters]) {
        if (w.match(f)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(f);
          return;
        }
      }
    });
    ws.on('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: HTTP ${res.statusCode}`), { statusCode: res.statusCode })));
    ws.on('error', reject);
    ws.on('open', () => {
      const conn: RawConnection = {
        ws,
        frames,
        closed,
        send: (data) => {
          tracker.sent(data);
          ws.send(JSON.stringify(data));
        },
        sendText: (text) => {
          tracker.sent(text);
          ws.send(text);
        },
        next(match = () => true, timeoutMs = 5_000) {
          for (let i = 0; i < frames.length; i++) {
            if (match(frames[i])) {
              const f = frames[i];
              frames.splice(i, 1);
              return Promise.resolve(f);
            }
          }
          return new Promise((res, rej) => {
            const timer = setTimeout(() => rej(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(frames.slice(-3))}`)), timeoutMs);
            waiters.push({ match, resolve: (f) => { clearTimeout(timer); frames.splice(frames.indexOf(f), 1); res(f); } });
          });
        },
        request(method, params, id = `r${++counter}`) {
          conn.send({ type: 'req', id, method, ...(params !== undefined ? { params } : {}) });
          return conn.next((f) => f.type === 'res' && f.id === id);
        },
        terminate: () => ws.terminate(),
      };
      resolve(conn);
    });
  });
}
