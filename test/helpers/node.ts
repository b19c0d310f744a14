/**
 * A frame-level test node: a raw socket that signs its connect as `role: "node"` (auto-paired on
 * loopback with the gateway token), declares commands, and lets a test take `node.invoke.request`
 * events and answer them by hand.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, RawConnection } from './raw.js';
import { noteSecret, processLogFile } from './secrets.js';
import type { TestGateway } from './gateway.js';
import { newDevice, signedConnect, type TestDevice } from './device.js';

export interface RawNode {
  raw: RawConnection;
  device: TestDevice;
  nodeId: string;
  hello: any;
  /** The next `node.invoke.request` payload sent to this node. */
  nextInvoke(timeoutMs?: number): Promise<any>;
  /** Sends `node.invoke.result` for `request` and returns the response frame. */
  answer(request: { id: string }, result: { ok: boolean; payload?: unknown; payloadJSON?: string; error?: { code?: string; message?: string } }, nodeId?: string): Promise<Frame>;
}

export interface RawNodeOptions {
  commands?: string[];
  caps?: string[];
  platform?: string;
  deviceFamily?: string;
  displayName?: string;
  device?: TestDevice;
}

/** Waits `ms` and checks no `event` frame arrived on `raw` (frames a test took with next() excluded). */
export async function expectNoEvent(raw: RawConnection, event: string, ms = 100): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
  const got = raw.frames.filter((f) => f.event === event);
  if (got.length > 0) throw new Error(`expected no ${event}, got ${JSON.stringify(got[0]).slice(0, 300)}`);
}

/** Connects a signed test node; throws when the handshake fails. */
export async function connectRawNode(gw: TestGateway, o: RawNodeOptions = {}): Promise<RawNode> {
  const device = o.device ?? newDevice();
  const raw = await gw.raw();
  const client = {
    id: 'node-host', version: '1.0.0', platform: o.platform ?? 'linux',
    ...(o.deviceFamily ? { deviceFamily: o.deviceFamily } : {}), ...(o.displayName ? { displayName: o.displayName } : {}),
  };
  const res = await signedConnect(raw, device, {
    role: 'node', client, auth: { token: gw.token },
    extra: { commands: o.commands ?? ['system.run', 'system.which', 'system.notify'], caps: o.caps ?? ['system'] },
  });
  if (!res.ok) throw new Error(`node handshake failed: ${JSON.stringify(res.error)}`);
  return {
    raw, device, nodeId: device.deviceId, hello: res.payload,
    nextInvoke: async (timeoutMs = 5_000) => (await raw.next((f) => f.event === 'node.invoke.request', timeoutMs)).payload,
    answer: (request, result, nodeId = device.deviceId) => raw.request('node.invoke.result', { id: request.id, nodeId, ...result }),
  };
}

/** A node host log sink for the log-secret audit: lines go to the run's logs and to `lines`. */
export function nodeHostLog(lines: string[] = []): (line: string) => void {
  const file = processLogFile('node-host');
  return (line) => {
    lines.push(line);
    appendFileSync(file, `${line}\n`);
  };
}

/** Notes the device tokens a node host stored in `identityDir` (for the log-secret audit). */
export function noteNodeHostTokens(identityDir: string): void {
  const file = join(identityDir, 'node-tokens.json');
  if (!existsSync(file)) return;
  const stored = JSON.parse(readFileSync(file, 'utf8')) as { gateways?: Record<string, Record<string, { token?: string }>> };
  for (const roles of Object.values(stored.gateways ?? {})) for (const t of Object.values(roles)) noteSecret(t.token);
}
