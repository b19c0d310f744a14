/**
 * A scripted stand-in for the gateway, for client tests that need the server to misbehave on
 * purpose (never answer, go silent, skip seq numbers). It speaks the frame protocol; `onRequest`
 * decides what each request gets.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface FakeRequest {
  id: string;
  method: string;
  params?: any;
}

export interface FakeGateway {
  url: string;
  /** Sockets currently connected, in connection order. */
  sockets: WebSocket[];
  /** Total connections accepted so far. */
  connections: number;
  requests: FakeRequest[];
  send(ws: WebSocket, frame: unknown): void;
  close(): Promise<void>;
}

export interface FakeOptions {
  tickIntervalMs?: number;
  /** Return a payload to answer ok, `undefined` to stay silent; throw to answer an error. */
  onRequest?: (req: FakeRequest, ws: WebSocket, fake: FakeGateway) => unknown;
  /** Refuse the handshake with this error. */
  rejectConnect?: { code: string; message: string; details?: unknown };
}

export function hello(tickIntervalMs = 30_000) {
  return {
    type: 'hello-ok', protocol: 4, server: { version: 'fake', connId: randomUUID() },
    features: { methods: ['health'], events: ['tick'] },
    snapshot: { presence: [], health: { ok: true, ts: Date.now(), durationMs: 0, channels: {}, channelOrder: [], channelLabels: {} }, stateVersion: { presence: 1, health: 1 }, uptimeMs: 1 },
    auth: { role: 'operator', scopes: [] },
    policy: { maxPayload: 1 << 20, maxBufferedBytes: 1 << 21, tickIntervalMs },
  };
}

export async function startFakeGateway(options: FakeOptions = {}): Promise<FakeGateway> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const fake: FakeGateway = {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    sockets: [],
    connections: 0,
    requests: [],
    send: (ws, frame) => ws.send(JSON.stringify(frame)),
    close: () => new Promise((r) => {
      for (const s of fake.sockets) s.terminate();
      wss.close(() => r());
    }),
  };
  wss.on('connection', (ws) => {
    fake.connections++;
    fake.sockets.push(ws);
    ws.on('close', () => fake.sockets.splice(fake.sockets.indexOf(ws), 1));
    ws.send(JSON.stringify({ type: 'event', event: 'connect.challenge', payload: { nonce: randomUUID(), ts: Date.now() } }));
    ws.on('message', (data) => {
      const req = JSON.parse(data.toString()) as FakeRequest;
      fake.requests.push(req);
      if (req.method === 'connect') {
        if (options.rejectConnect) {
          ws.send(JSON.stringify({ type: 'res', id: req.id, ok: false, error: options.rejectConnect }));
          ws.close(1008, options.rejectConnect.message);
        } else {
          ws.send(JSON.stringify({ type: 'res', id: req.id, ok: true, payload: hello(options.tickIntervalMs) }));
        }
        return;
      }
      try {
        const payload = options.onRequest ? options.onRequest(req, ws, fake) : { ok: true };
        if (payload !== undefined) ws.send(JSON.stringify({ type: 'res', id: req.id, ok: true, payload }));
      } catch (err) {
        ws.send(JSON.stringify({ type: 'res', id: req.id, ok: false, error: { code: 'UNAVAILABLE', message: (err as Error).message } }));
      }
    });
  });
  return fake;
}
