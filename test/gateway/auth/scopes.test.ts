// The role and scope matrix: every method in the table against every kind of caller, through the
// dispatcher's one authorisation check, plus a few end to end over a socket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { methods, OperatorScopes, GatewayError, type MethodSpec } from '@switchboard/protocol';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { newDevice, signedConnect } from '../../helpers/device.js';

type Caller = Parameters<TestGateway['gateway']['dispatcher']['authorize']>[0];

function caller(role: 'operator' | 'node', scopes: string[]): Caller {
  return {
    connId: 'c', role, scopes, caps: [], authMethod: 'token',
    client: { id: 'test', version: '1', platform: 'linux', mode: 'test' },
    peer: { socketAddress: '127.0.0.1', clientAddress: '127.0.0.1', socketIsLoopback: true, isLocalDirect: true, viaTrustedProxy: false },
  };
}

describe('role and scope matrix', () => {
  let gw: TestGateway;
  let authorize: (c: Caller, name: string, spec: MethodSpec) => void;
  beforeAll(async () => {
    gw = await startTestGateway();
    authorize = gw.gateway.dispatcher.authorize.bind(gw.gateway.dispatcher);
  });
  afterAll(() => gw.close());

  function outcome(c: Caller, name: string, spec: MethodSpec): string {
    try {
      authorize(c, name, spec);
      return 'ok';
    } catch (err) {
      const e = err as GatewayError;
      const d = e.details as { code: string; missingScope?: string };
      return `${e.code}:${d.code}${d.missingScope ? `:${d.missingScope}` : ''}`;
    }
  }

  it('lets admin call every operator method, and each single scope exactly the methods that need it (write implies read)', () => {
    for (const [name, spec] of Object.entries(methods) as [string, MethodSpec][]) {
      if (name === 'connect' || spec.access === 'node') continue;
      expect(outcome(caller('operator', ['operator.admin']), name, spec), name).toBe('ok');
      for (const scope of OperatorScopes.filter((s) => s !== 'operator.admin')) {
        const allowed = scope === spec.access || (spec.access === 'operator.read' && scope === 'operator.write');
        expect(outcome(caller('operator', [scope]), name, spec), `${name} with ${scope}`).toBe(allowed ? 'ok' : `FORBIDDEN:MISSING_SCOPE:${spec.access}`);
      }
      expect(outcome(caller('operator', []), name, spec), `${name} with no scope`).toBe(`FORBIDDEN:MISSING_SCOPE:${spec.access}`);
      expect(outcome(caller('node', []), name, spec), `${name} as node`).toBe('FORBIDDEN:ROLE_NOT_ALLOWED');
    }
  });

  it('keeps node-only methods for nodes, even against admin', () => {
    const nodeOnly = { ...methods.health, access: 'node' } as MethodSpec;
    expect(outcome(caller('node', []), 'node.event', nodeOnly)).toBe('ok');
    expect(outcome(caller('operator', ['operator.admin']), 'node.event', nodeOnly)).toBe('FORBIDDEN:ROLE_NOT_ALLOWED');
  });

  it('needs admin for a method that declares no access (default deny)', () => {
    const unclassified = { ...methods.health, access: undefined } as unknown as MethodSpec;
    expect(outcome(caller('operator', ['operator.read', 'operator.write', 'operator.pairing', 'operator.approvals']), 'x.y', unclassified)).toBe('FORBIDDEN:MISSING_SCOPE:operator.admin');
    expect(outcome(caller('operator', ['operator.admin']), 'x.y', unclassified)).toBe('ok');
  });

  it('enforces the same over a socket: FORBIDDEN with details.missingScope, connection kept', async () => {
    const reader = await gw.rawConnected({ scopes: ['operator.read'] });
    const res = await reader.request('device.pair.list', {});
    expect(res.error).toMatchObject({ code: 'FORBIDDEN', details: { code: 'MISSING_SCOPE', missingScope: 'operator.pairing' } });
    expect((await reader.request('health', {})).ok).toBe(true);
    const writer = await gw.rawConnected({ scopes: ['operator.write'] });
    expect((await writer.request('status', {})).ok).toBe(true);
    const node = await gw.raw();
    expect((await signedConnect(node, newDevice(), { role: 'node', client: { id: 'node-host', version: '1' }, auth: { token: gw.token } })).ok).toBe(true);
    expect((await node.request('health', {})).error?.details.code).toBe('ROLE_NOT_ALLOWED');
  });
});
