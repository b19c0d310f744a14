// One supervisor per adapter: a crash, a rejection or a return restarts that adapter alone with
// backoff; a fatal error parks it; nothing an adapter throws reaches the daemon.
import { afterEach, describe, expect, it } from 'vitest';
import { AdapterSupervisor } from '../../../gateway/src/channels/supervisor.js';
import { AdapterFatalError, type AdapterRuntime, type ChannelAdapter } from '../../../gateway/src/channels/types.js';
import { silentLog } from '@switchboard/gateway';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { until } from '../../helpers/wait.js';

const fast = { baseDelayMs: 10, maxDelayMs: 50, conflictDelayMs: 20, stableMs: 60_000 };

function adapter(start: (runtime: AdapterRuntime, signal: AbortSignal) => Promise<void>, extra: Partial<ChannelAdapter> = {}): ChannelAdapter {
  return {
    platform: 'telegram', accountId: 'default',
    limits: { maxMessageLength: 4096, lengthUnit: 'utf16', canEdit: true, perChatPerSecond: 1, burst: 1 },
    start, send: async () => ({ messageId: '1' }), edit: async () => undefined, typing: async () => undefined, ...extra,
  };
}

const hooks = { receive: async () => ({ duplicate: false }), stateChanged: () => undefined, setWebhookHandler: () => undefined };
let gw: TestGateway | undefined;
afterEach(async () => { await gw?.close(); gw = undefined; });

describe('adapter supervisor', () => {
  it('restarts an adapter that throws synchronously, rejects, or returns, with backoff', async () => {
    let calls = 0;
    const a = adapter(((_rt: AdapterRuntime, signal: AbortSignal) => {
      calls++;
      if (calls === 1) throw new Error('sync boom');
      if (calls === 2) return Promise.reject(new Error('async boom'));
      if (calls === 3) return Promise.resolve();
      _rt.setState('connected');
      return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
    }) as never);
    const s = new AdapterSupervisor(a, hooks, silentLog(), fast);
    s.start();
    await until(() => s.state === 'connected', 5_000, 'connected after three failures');
    expect(calls).toBe(4);
    expect(s.status()).toMatchObject({ restarts: 3, lastConnectedAt: expect.any(Number) });
    await s.stop();
    expect(s.state).toBe('stopped');
    await s.stop();
  });

  it('parks a fatal error (needs_relink) without a retry loop; a conflict keeps retrying and stays conflict', async () => {
    let relinkCalls = 0;
    const relink = new AdapterSupervisor(adapter(async () => { relinkCalls++; throw new AdapterFatalError('needs_relink', 'logged out'); }), hooks, silentLog(), fast);
    relink.start();
    await until(() => relink.state === 'needs_relink', 2_000);
    await new Promise((r) => setTimeout(r, 150));
    expect(relinkCalls).toBe(1);
    expect(relink.status()).toMatchObject({ detail: 'logged out', lastError: 'logged out' });

    let conflictCalls = 0;
    const states: string[] = [];
    const conflict = new AdapterSupervisor(adapter(async () => { conflictCalls++; throw new AdapterFatalError('conflict', '409'); }), { ...hooks, stateChanged: (s) => states.push(s.state) }, silentLog(), fast);
    conflict.start();
    await until(() => conflictCalls >= 3, 2_000);
    await conflict.stop();
    expect(states.filter((s) => s === 'connected')).toHaveLength(0);
    expect(states.slice(1, -1).every((s) => s === 'conflict')).toBe(true);
  });

  it('stop() waits for the running attempt to end before returning', async () => {
    let ended = false;
    const s = new AdapterSupervisor(adapter(async (_rt, signal) => {
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => setTimeout(resolve, 50)));
      ended = true;
    }), hooks, silentLog(), fast);
    s.start();
    await new Promise((r) => setTimeout(r, 20));
    await s.stop();
    expect(ended).toBe(true);
  });

  it('a throwing adapter (synchronously, asynchronously, from send) never takes the gateway down', async () => {
    let starts = 0;
    gw = await startTestGateway({
      extra: {
        channels: { telegram: { token: 'x'.repeat(30), allowAll: true } } as never,
        channelFactories: {
          telegram: () => adapter(((rt: AdapterRuntime) => {
            starts++;
            if (starts % 2) throw new TypeError('synchronous crash in start');
            rt.setState('connected');
            setTimeout(() => { void rt.receive(null as never).catch(() => undefined); }, 1);
            return Promise.reject(new Error('asynchronous crash'));
          }) as never, { send: () => { throw new Error('send crash'); } }),
        },
      },
    });
    await until(() => starts >= 3, 10_000, 'several restarts');
    const client = await gw.connect();
    const health = await client.call('health', {});
    expect(health.ok).toBe(true);
    const status = await client.call('channels.status', {});
    expect(status.channelAccounts.telegram[0].reconnectAttempts).toBeGreaterThanOrEqual(2);
    expect(['degraded', 'connected']).toContain(status.channelAccounts.telegram[0].state);
  });
});
