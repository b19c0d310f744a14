// The inbound pipeline on a real store, with the run manager held back: one chat's flood is held in
// memory only up to the cap; the rest waits in the ledger and is picked up by the sweep, each
// message submitted exactly once, in arrival order.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLog } from '@switchboard/gateway';
import { InboundPipeline, MAX_PENDING_PER_CHAT } from '../../../gateway/src/channels/inbound.js';
import { Outbound } from '../../../gateway/src/channels/outbound.js';
import { PairingService } from '../../../gateway/src/channels/pairing.js';
import { resolveChannels } from '../../../gateway/src/channels/config.js';
import type { InboundEvent } from '../../../gateway/src/channels/types.js';
import { tempStore, type TempStore } from '../../helpers/store.js';
import { until } from '../../helpers/wait.js';

let t: TempStore;
beforeEach(() => { t = tempStore(); });
afterEach(() => t.cleanup());

function event(i: number): InboundEvent {
  return { platform: 'telegram', accountId: 'default', chatId: '42', chatType: 'dm', userId: '42', messageId: String(i), text: `message ${i}`, media: [], mentioned: true };
}

describe('inbound pipeline', () => {
  it('holds at most the cap of one chat in memory; the sweep takes the rest; each submitted once, in order', async () => {
    const resolved = resolveChannels({ telegram: { token: 'x'.repeat(20), allowFrom: ['42'] } } as never);
    let open!: () => void;
    const gate = new Promise<void>((r) => { open = r; });
    const submitted: string[] = [];
    const runs = {
      submit: async (req: { idempotencyKey: string }, options: { commit: (work: () => unknown) => Promise<unknown> }) => {
        await gate;
        submitted.push(req.idempotencyKey);
        const result = { status: 'started', runId: req.idempotencyKey, sessionKey: 's', sessionId: 'x', messageSeq: 1, acceptedAt: 0 };
        // Like the run manager: the caller's commit (which marks the message dispatched) is the durable step.
        await options.commit(() => result);
        return result;
      },
      wait: async () => undefined,
    };
    const outbound = new Outbound(t.store, { adapter: () => undefined, adapterAny: () => undefined, sent: () => undefined, alert: () => undefined }, silentLog());
    const pipeline = new InboundPipeline({
      store: t.store, runs: runs as never, pairing: new PairingService(t.store), outbound, log: silentLog(),
      policy: (p) => resolved.policies[p], global: () => resolved.global, adapter: () => undefined, approvals: () => undefined, channelLine: () => undefined,
    });
    const total = MAX_PENDING_PER_CHAT + 40;
    for (let i = 0; i < total; i++) expect(await pipeline.receive(event(i))).toEqual({ duplicate: false });
    expect(await pipeline.receive(event(3))).toEqual({ duplicate: true });
    expect((pipeline as unknown as { scheduled: Set<number> }).scheduled.size).toBe(MAX_PENDING_PER_CHAT);
    open();
    pipeline.replay();
    // A message arriving while the chat still has a backlog in the ledger queues behind it.
    await pipeline.receive(event(total));
    await until(() => submitted.length === total + 1, 20_000, 'every message submitted');
    expect(submitted).toEqual(Array.from({ length: total + 1 }, (_, i) => `telegram:default:42:${i}`));
    await new Promise((r) => setTimeout(r, 200));
    expect(submitted).toHaveLength(total + 1);
    expect(t.store.inbound.open(1000).every((r) => r.status === 'dispatched')).toBe(true);
    pipeline.close();
    await outbound.close();
  }, 30_000);
});
