// The generated JSON Schema checks every frame the suite sees (test/setup/frame-schema.ts): it
// passes real traffic, catches frames that break it, and sees frames from both the raw helper and
// SDK clients, with the method each response answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { buildProtocolSchema, protocolInput, type ProtocolInput } from '@switchboard/codegen';
import { method } from '@switchboard/protocol';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { addFrameCheck, framesSeen, recordFrame } from '../helpers/frames.js';
import { createSchemaCheck, loadGeneratedSchema, takeSchemaViolations, type GeneratedSchema } from '../helpers/frame-schema.js';

/** The generated schema with HealthSummary demanding a field the gateway never sends. */
function stricterSchema(): GeneratedSchema {
  const schema = loadGeneratedSchema();
  const health = schema.definitions.HealthSummary as { required: string[] };
  health.required.push('neverSent');
  return schema;
}

describe('frame checks against the generated schema', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  it('passes real traffic from the raw helper and from SDK clients', async () => {
    const before = framesSeen();
    const raw = await gw.rawConnected();
    expect((await raw.request('status', {})).ok).toBe(true);
    const client = await gw.connect();
    await client.call('health', { probe: true });
    await client.call('system-presence');
    await client.call('talk.mode', { enabled: true, phase: 'schema' });
    await raw.next((f) => f.event === 'talk.mode');
    client.close();
    raw.terminate();
    // challenge, hello-ok, status, talk.mode event (raw); challenge, hello-ok, three answers, events (SDK)
    expect(framesSeen() - before).toBeGreaterThanOrEqual(10);
    expect(takeSchemaViolations()).toEqual([]);
  });

  it('checks SDK responses against the result of the method they answer', async () => {
    const strict = createSchemaCheck(stricterSchema());
    const remove = addFrameCheck(strict.check);
    try {
      const client = await gw.connect();
      await client.call('health');
      await client.call('status');
      client.close();
    } finally {
      remove();
    }
    const found = strict.take();
    expect(found.some((v) => v.startsWith('result of connect does not match ConnectResult') && v.includes("must have required property 'neverSent'"))).toBe(true);
    expect(found.some((v) => v.startsWith('result of health does not match HealthResult'))).toBe(true);
    expect(found.some((v) => v.startsWith('result of status'))).toBe(false);
  });

  it('records a violation for frames that break the schema, in the installed check too', () => {
    recordFrame({ type: 'res', id: 'h1', ok: true, payload: { ok: true } }, { method: 'health', answer: 1 });
    recordFrame({ type: 'event', event: 'tick', payload: { ts: -1 }, seq: 1 });
    recordFrame({ type: 'event', event: 'no.such.event', payload: {} });
    recordFrame({ type: 'res', id: 'x', ok: true, payload: {}, extra: 1 });
    recordFrame({ type: 'push', id: 'x' });
    const found = takeSchemaViolations();
    expect(found).toHaveLength(5);
    expect(found[0]).toMatch(/^result of health does not match HealthResult: data must have required property/);
    expect(found[1]).toMatch(/^payload of event tick does not match TickEvent: data\/ts must be >= 0/);
    expect(found[2]).toBe('event "no.such.event" is not in the generated schema: run pnpm codegen');
    expect(found[3]).toMatch(/^frame does not match GatewayFrame/);
    expect(found[4]).toMatch(/^frame does not match GatewayFrame/);
  });

  it('checks the second answer of a two-answer method against its final schema', () => {
    const base = protocolInput();
    const input: ProtocolInput = {
      ...base,
      methods: {
        ...base.methods,
        'agent.run': method({
          params: Type.Object({ idempotencyKey: Type.String() }, { additionalProperties: false }),
          result: Type.Object({ status: Type.Literal('accepted') }, { additionalProperties: false }),
          final: Type.Object({ text: Type.String() }, { additionalProperties: false }),
          access: 'operator.write',
          sideEffect: true,
          summary: 'A two-answer method that only exists in this test.',
        }),
      },
    };
    const check = createSchemaCheck(buildProtocolSchema(input) as unknown as GeneratedSchema);
    const res = (payload: unknown) => ({ type: 'res', id: 'a1', ok: true, payload });
    check.check(res({ status: 'accepted' }), { method: 'agent.run', answer: 1 });
    check.check(res({ text: 'done' }), { method: 'agent.run', answer: 2 });
    expect(check.take()).toEqual([]);
    check.check(res({ text: 'done' }), { method: 'agent.run', answer: 1 });
    check.check(res({ status: 'accepted' }), { method: 'agent.run', answer: 2 });
    const found = check.take();
    expect(found[0]).toMatch(/^result of agent.run does not match AgentRunResult/);
    expect(found[1]).toMatch(/^result of agent.run does not match AgentRunFinal/);
  });
});
