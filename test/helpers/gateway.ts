/**
 * Boots the real gateway in this process on port 0 with a temporary state directory, and gives a
 * test what it needs to talk to it: `{ url, token, connect(), raw(), restart(), close() }`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gateway, type GatewayOptionsInput, type Limits, type Log } from '@switchboard/gateway';
import { createNodeClient, nodeWebSocketFactory, type GatewayClient, type GatewayClientOptions } from '@switchboard/sdk/node';
import { ALL_OPERATOR_SCOPES } from '@switchboard/protocol';
import { openRaw, type RawConnection } from './raw.js';
import { recordingWebSocketFactory } from './recording-socket.js';
import { collectFrameSecrets, noteSecret, testLog } from './secrets.js';

export const TEST_TOKEN = 'test-token-0123456789abcdef-0123456789';

export interface TestGatewayOptions {
  token?: string;
  auth?: GatewayOptionsInput['auth'];
  limits?: Partial<Limits>;
  stateDir?: string;
  log?: Log;
  extra?: Partial<GatewayOptionsInput>;
}

export interface TestGateway {
  gateway: Gateway;
  url: string;
  token: string;
  stateDir: string;
  /** A connected SDK client (operator with every scope unless overridden); its frames are recorded. */
  connect(options?: Partial<GatewayClientOptions>): Promise<GatewayClient>;
  /** A raw socket that has received the challenge; nothing sent yet. */
  raw(headers?: Record<string, string>): Promise<RawConnection>;
  /** A raw socket that completed a token handshake. */
  rawConnected(params?: Record<string, unknown>): Promise<RawConnection>;
  /** Stops and starts the gateway again on the same port and state directory. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'switchboard-test-'));
  const token = options.token ?? TEST_TOKEN;
  // Every gateway logs at debug level into test/artifacts/logs; the run ends with a scan for secrets.
  const log = options.log ?? await testLog();
  collectFrameSecrets();
  noteSecret(token);
  noteSecret(options.auth?.token);
  noteSecret(options.auth?.password);
  const input = (port: number): GatewayOptionsInput => ({
    log,
    stateDir,
    host: '127.0.0.1',
    port,
    auth: options.auth ?? { mode: 'token', token },
    limits: options.limits,
    ...options.extra,
  });
  let gateway = await Gateway.start(input(0));
  noteSecret(gateway.options.auth.token);
  const clients = new Set<GatewayClient>();
  const raws = new Set<RawConnection>();
  const t: TestGateway = {
    get gateway() { return gateway; },
    get url() { return gateway.url; },
    token,
    stateDir,
    async connect(overrides = {}) {
      const client = createNodeClient({
        url: gateway.url,
        token,
        client: { id: 'test', mode: 'test' },
        scopes: [...ALL_OPERATOR_SCOPES],
        backoff: { initialMs: 50, maxMs: 500, jitter: 0 },
        ...overrides,
        // Every frame the client sees goes through the frame checks (generated JSON Schema).
        webSocket: recordingWebSocketFactory(overrides.webSocket ?? nodeWebSocketFactory),
      });
      clients.add(client);
      await client.start();
      noteSecret(client.hello?.auth.deviceToken);
      return client;
    },
    async raw(headers) {
      const r = await openRaw(gateway.url, headers);
      raws.add(r);
      return r;
    },
    async rawConnected(params = {}) {
      const r = await t.raw();
      await r.next((f) => f.event === 'connect.challenge');
      const res = await r.request('connect', {
        minProtocol: 4, maxProtocol: 4,
        client: { id: 'test', version: '1.0.0', platform: 'linux', mode: 'test' },
        role: 'operator', scopes: [...ALL_OPERATOR_SCOPES], auth: { token },
        ...params,
      });
      if (!res.ok) throw new Error(`handshake failed: ${JSON.stringify(res.error)}`);
      r.hello = res.payload;
      return r;
    },
    async restart() {
      const port = gateway.port;
      await gateway.stop({ reason: 'test restart' });
      gateway = await Gateway.start(input(port));
    },
    async close() {
      for (const c of clients) c.close();
      for (const r of raws) r.terminate();
      await gateway.stop({ reason: 'test done' });
      if (!options.stateDir) rmSync(stateDir, { recursive: true, force: true });
    },
  };
  return t;
}
