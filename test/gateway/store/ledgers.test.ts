// The channel ledgers and group commit on a real SQLite file.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreClosedError } from '@switchboard/gateway';
import { tempStore, type TempStore } from '../../helpers/store.js';

let t: TempStore;
beforeEach(() => { t = tempStore(); });
afterEach(() => t.cleanup());

const msg = { channel: 'telegram', accountId: 'bot1', platformMessageId: '1001', chatId: 'c1', payload: { text: 'hi' } };
const chat = { channel: 'telegram', accountId: 'bot1', chatId: 'c1' };

describe('inbound ledger (record before ack)', () => {
  it('records a message once; a redelivery is reported as a duplicate, also after a restart', async () => {
    const first = await t.store.commit(() => t.store.inbound.record(msg, 10));
    expect(first.duplicate).toBe(false);
    expect(first.record).toMatchObject({ status: 'received', payload: { text: 'hi' }, receivedAt: 10 });
    t.store.inbound.markAcknowledged(first.record.id, 11);
    const store = t.reopen();
    const again = store.inbound.record(msg, 20);
    expect(again.duplicate).toBe(true);
    expect(again.record).toMatchObject({ id: first.record.id, acknowledgedAt: 11, receivedAt: 10 });
  });

  it('lists open messages for replay, expires old ones, prunes finished ones', () => {
    const a = t.store.inbound.record({ ...msg, platformMessageId: 'a' }, 1).record;
    const b = t.store.inbound.record({ ...msg, platformMessageId: 'b' }, 2).record;
    const c = t.store.inbound.record({ ...msg, platformMessageId: 'c' }, 3).record;
    t.store.inbound.markDispatched(b.id, 4);
    t.store.inbound.markDone(c.id, 5);
    expect(t.store.inbound.open(10).map((r) => r.platformMessageId)).toEqual(['a', 'b']);
    expect(t.store.inbound.expire(2, 50, 10).map((r) => [r.platformMessageId, r.status])).toEqual([['a', 'expired']]);
    expect(t.store.inbound.open(10).map((r) => r.platformMessageId)).toEqual(['b']);
    t.store.inbound.markFailed(b.id, 'send failed', 6);
    expect(t.store.inbound.get(b.id)).toMatchObject({ status: 'failed', lastError: 'send failed' });
    expect(t.store.inbound.prune(100, 10)).toBe(3);
  });
});

describe('outbound ledger (in order per chat)', () => {
  it('hands out one delivery at a time per chat, in order, and moves on after sent or failed', () => {
    const ob = t.store.outbound;
    const d1 = ob.enqueue({ ...chat, payload: { text: 'one' } }, 1);
    const d2 = ob.enqueue({ ...chat, payload: { text: 'two' } }, 1);
    const other = ob.enqueue({ ...chat, chatId: 'c2', payload: { text: 'elsewhere' } }, 1);
    expect([d1.seq, d2.seq, other.seq]).toEqual([1, 2, 1]);
    const claimed = ob.claimNext(chat, 5, 30_000)!;
    expect(claimed).toMatchObject({ id: d1.id, status: 'sending', attempts: 1 });
    expect(ob.claimNext(chat, 6, 30_000)).toBeUndefined();
    ob.markRetry(d1.id, '429', 100, 7);
    expect(ob.claimNext(chat, 50, 30_000)).toBeUndefined();
    expect(ob.claimNext(chat, 100, 30_000)).toMatchObject({ id: d1.id, attempts: 2 });
    ob.markSent(d1.id, 'tg-555', 101);
    expect(ob.get(d1.id)).toMatchObject({ status: 'sent', platformMessageId: 'tg-555', sentAt: 101 });
    expect(ob.claimNext(chat, 102, 30_000)).toMatchObject({ id: d2.id });
    ob.markFailed(d2.id, 'chat not found', 103);
    expect(ob.claimNext(chat, 104, 30_000)).toBeUndefined();
    expect(ob.listChat(chat, 10).map((d) => d.status)).toEqual(['sent', 'failed']);
  });

  it('lists due chats and requeues deliveries caught mid-send by a crash', () => {
    const ob = t.store.outbound;
    const d = ob.enqueue({ ...chat, payload: 'x' }, 1);
    ob.enqueue({ ...chat, chatId: 'later', payload: 'y', notBefore: 1000 }, 1);
    expect(ob.dueChats(10, 10)).toEqual([chat]);
    ob.claimNext(chat, 10, 60_000);
    expect(ob.dueChats(20, 10)).toEqual([]);
    const store = t.reopen();
    expect(store.recover(30).deliveriesRequeued).toBe(1);
    expect(store.outbound.claimNext(chat, 30, 60_000)).toMatchObject({ id: d.id, attempts: 2 });
  });
});

describe('group commit', () => {
  it('commits writes queued in one turn together, and a throwing job alone rolls back', async () => {
    const s = t.store.sessions.ensure('agent:main:main', 'main', 1);
    const before = t.store.commitStats.batches;
    const results = await Promise.allSettled([
      t.store.commit(() => t.store.transcripts.append(s.sessionId, { role: 'user', content: ['a'] }, 2).seq),
      t.store.commit(() => { t.store.transcripts.append(s.sessionId, { role: 'user', content: ['b'] }, 2); throw new Error('nope'); }),
      t.store.commit(() => t.store.transcripts.append(s.sessionId, { role: 'user', content: ['c'] }, 2).seq),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([1, 'nope', 2]);
    expect(t.store.commitStats.batches - before).toBe(1);
    expect(t.store.transcripts.page(s.sessionId, { limit: 10, maxEntryBytes: 1e6 }).map((e) => e.content)).toEqual([['c'], ['a']]);
  });

  it('refuses work after close', async () => {
    t.store.close();
    await expect(t.store.commit(() => 1)).rejects.toBeInstanceOf(StoreClosedError);
  });
});

describe('commitSync (durable, without waiting for a batch)', () => {
  it('commits with fsync (synchronous=FULL) before it returns, then restores NORMAL', () => {
    let during: unknown;
    const record = t.store.commitSync(() => {
      during = t.store.db.pragma('synchronous', { simple: true });
      return t.store.sessions.ensure('agent:main:durable', 'main', 1);
    });
    expect(during).toBe(2); // FULL
    expect(t.store.db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(t.reopen().sessions.get('agent:main:durable')?.sessionId).toBe(record.sessionId);
  });

  it('rolls back and rethrows what the work threw', () => {
    expect(() => t.store.commitSync(() => {
      t.store.sessions.ensure('agent:main:thrown', 'main', 1);
      throw new Error('nope');
    })).toThrow('nope');
    expect(t.store.sessions.get('agent:main:thrown')).toBeUndefined();
    expect(t.store.db.pragma('synchronous', { simple: true })).toBe(1);
  });

  it('refuses to run inside another transaction, whose commit would not be fsynced', () => {
    expect(() => t.store.transaction(() => t.store.commitSync(() => t.store.sessions.ensure('agent:main:nested', 'main', 1))))
      .toThrow(/inside another transaction/);
    expect(t.store.sessions.get('agent:main:nested')).toBeUndefined();
  });

  it('refuses work after close', () => {
    t.store.close();
    expect(() => t.store.commitSync(() => 1)).toThrow(StoreClosedError);
  });
});
