// The generated Python module is usable, not just present: python3 imports it and parses a real
// hello-ok, a real health response and a real presence event captured from a running gateway.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import type { Frame } from '../helpers/raw.js';

const GENERATED = join(__dirname, '..', '..', 'codegen', 'generated');
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

// Reads the captured frames (one JSON object per line), parses them with the generated module and
// prints what it found as JSON; also reports how it rejects a hello-ok with a field of the wrong type.
const SCRIPT = String.raw`
import json, sys
sys.path.insert(0, sys.argv[1])
import switchboard_protocol as sp

hello_line, health_line, presence_line = open(sys.argv[2]).read().splitlines()
hello_frame = sp.parse_frame(hello_line)
hello = sp.parse_result("connect", hello_frame.payload)
health_frame = sp.parse_frame(json.loads(health_line))
health = sp.parse_result("health", health_frame.payload)
presence_frame = sp.parse_frame(presence_line)
presence = sp.parse_event_payload(presence_frame)

broken = json.loads(hello_line)
broken["payload"]["policy"]["maxPayload"] = "big"
try:
    sp.parse_result("connect", sp.parse_frame(broken).payload)
    rejected = None
except Exception as e:
    rejected = type(e).__name__

print(json.dumps({
    "frameClasses": [type(f).__name__ for f in (hello_frame, health_frame, presence_frame)],
    "helloClass": type(hello).__name__,
    "frameId": hello_frame.id,
    "ok": hello_frame.ok,
    "protocol": hello.protocol,
    "connId": hello.server.conn_id,
    "methods": hello.features.methods,
    "events": hello.features.events,
    "role": hello.auth.role,
    "scopes": hello.auth.scopes,
    "maxPayload": hello.policy.max_payload,
    "tickIntervalMs": hello.policy.tick_interval_ms,
    "stateVersion": hello.snapshot.state_version.to_dict(),
    "snapshotHealthTs": hello.snapshot.health.ts,
    "helloRoundTrip": hello.to_dict() == json.loads(hello_line)["payload"],
    "healthClass": type(health).__name__,
    "healthOk": health.ok,
    "healthTs": health.ts,
    "channelOrder": health.channel_order,
    "eventLoopDegraded": health.event_loop.degraded if health.event_loop else None,
    "healthRoundTrip": health.to_dict() == json.loads(health_line)["payload"],
    "presenceClass": type(presence).__name__,
    "presenceSeq": presence_frame.seq,
    "presenceInstances": sorted(p.instance_id for p in presence.presence if p.instance_id),
    "stateVersionPresence": presence_frame.state_version.presence,
    "rejected": rejected,
}))
`;

describe('generated Python models', () => {
  let gw: TestGateway;
  let dir: string;
  beforeAll(async () => {
    gw = await startTestGateway();
    dir = mkdtempSync(join(tmpdir(), 'switchboard-py-'));
  });
  afterAll(async () => {
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('parses a real hello-ok, health response and presence event into typed objects', async () => {
    const r = await gw.raw();
    await r.next((f) => f.event === 'connect.challenge');
    const hello = await r.request('connect', {
      minProtocol: 4, maxProtocol: 4,
      client: { id: 'test', version: '1.0.0', platform: 'linux', mode: 'test', instanceId: 'py-watcher' },
      role: 'operator', scopes: ['operator.read'], auth: { token: gw.token },
    }, 'hello-1');
    const health = await r.request('health', { probe: true });
    const other = await gw.rawConnected({ client: { id: 'test', version: '1.0.0', platform: 'linux', mode: 'test', instanceId: 'py-other' } });
    const presence = await r.next((f: Frame) => f.event === 'presence' && f.payload.presence.some((p: { instanceId?: string }) => p.instanceId === 'py-other'));
    other.terminate();
    r.terminate();
    expect(hello.ok && health.ok).toBe(true);

    const capture = join(dir, 'frames.jsonl');
    writeFileSync(capture, [hello, health, presence].map((f) => JSON.stringify(f)).join('\n'));
    const run = spawnSync(PYTHON, ['-c', SCRIPT, GENERATED, capture], { encoding: 'utf8', timeout: 15_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout);

    expect(out.frameClasses).toEqual(['ResponseFrame', 'ResponseFrame', 'EventFrame']);
    expect(out.helloClass).toBe('HelloOk');
    expect(out.frameId).toBe('hello-1');
    expect(out.ok).toBe(true);
    expect(out.protocol).toBe(4);
    expect(out.connId).toBe(hello.payload.server.connId);
    expect(out.methods).toEqual(hello.payload.features.methods);
    expect(out.methods).toContain('health');
    expect(out.events).toEqual(hello.payload.features.events);
    expect(out.role).toBe('operator');
    expect(out.scopes).toEqual(['operator.read']);
    expect(out.maxPayload).toBe(hello.payload.policy.maxPayload);
    expect(out.tickIntervalMs).toBe(30_000);
    expect(out.stateVersion).toEqual(hello.payload.snapshot.stateVersion);
    expect(out.snapshotHealthTs).toBe(hello.payload.snapshot.health.ts);
    expect(out.helloRoundTrip).toBe(true);

    expect(out.healthClass).toBe('HealthSummary');
    expect(out.healthOk).toBe(true);
    expect(out.healthTs).toBe(health.payload.ts);
    expect(out.channelOrder).toEqual(health.payload.channelOrder);
    expect(out.eventLoopDegraded).toBe(health.payload.eventLoop?.degraded ?? null);
    expect(out.healthRoundTrip).toBe(true);

    expect(out.presenceClass).toBe('PresenceEvent');
    expect(out.presenceSeq).toBe(presence.seq);
    expect(out.presenceInstances).toEqual(expect.arrayContaining(['py-other', 'py-watcher']));
    expect(out.stateVersionPresence).toBe(presence.stateVersion!.presence);
    expect(out.rejected).toBe('AssertionError');
  });
});
