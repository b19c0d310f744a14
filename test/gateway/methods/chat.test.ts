// chat.history and chat.inject against the real gateway: pagination bounded in count and bytes,
// placeholders for huge entries, and chat.inject exactly once across reconnects and restarts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayClient } from '@switchboard/sdk';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';

let gw: TestGateway;
let client: GatewayClient;
beforeEach(async () => {
  gw = await startTestGateway({ limits: { historyMaxEntryBytes: 20_000, historyMaxBytes: 64 * 1024 } });
  client = await gw.connect();
});
afterEach(() => gw.close());

async function inject(n: number, prefix = 'm', key = 'main'): Promise<void> {
  await Promise.all(Array.from({ length: n }, (_, i) => client.call('chat.inject', { sessionKey: key, message: `${prefix}${i}`, idempotencyKey: `${prefix}-${i}` })));
}

describe('chat.inject', () => {
  it('appends an assistant note and announces it with a chat final event', async () => {
    const events: any[] = [];
    client.on('chat', (p) => events.push(p));
    const r = await client.call('chat.inject', { sessionKey: 'main', message: 'note', label: 'ops', idempotencyKey: 'k1' });
    expect(r).toMatchObject({ ok: true, seq: 1 });
    const { messages } = await client.call('chat.history', { sessionKey: 'main' });
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ id: r.messageId, role: 'assistant', content: [{ type: 'text', text: 'note' }], state: 'final', stopReason: 'injected', label: 'ops' });
    await expect.poll(() => events.length).toBe(1);
    expect(events[0]).toMatchObject({ runId: `inject-${r.messageId}`, sessionKey: 'agent:main:main', state: 'final', message: { id: r.messageId } });
  });

  it('runs once per key: a retry on another connection and after a restart returns the same answer', async () => {
    const first = await client.call('chat.inject', { sessionKey: 'main', message: 'once', idempotencyKey: 'same' });
    const other = await gw.connect();
    expect(await other.call('chat.inject', { sessionKey: 'main', message: 'once', idempotencyKey: 'same' })).toEqual(first);
    client.close();
    other.close();
    await gw.restart();
    const after = await gw.connect();
    expect(await after.call('chat.inject', { sessionKey: 'main', message: 'once', idempotencyKey: 'same' })).toEqual(first);
    expect((await after.call('chat.history', { sessionKey: 'main' })).messages).toHaveLength(1);
  });

  it('collapses a burst of duplicates sent at once into one entry', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => client.call('chat.inject', { sessionKey: 'main', message: 'dup', idempotencyKey: 'burst' })));
    expect(new Set(answers.map((a) => a.messageId)).size).toBe(1);
    expect((await client.call('chat.history', { sessionKey: 'main' })).messages).toHaveLength(1);
  });

  it('requires an idempotencyKey, refuses reusing one with other params, and needs operator.admin', async () => {
    await expect(client.request('chat.inject', { sessionKey: 'main', message: 'x' })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await client.call('chat.inject', { sessionKey: 'main', message: 'a', idempotencyKey: 'k' });
    await expect(client.call('chat.inject', { sessionKey: 'main', message: 'b', idempotencyKey: 'k' })).rejects.toMatchObject({ details: { code: 'IDEMPOTENCY_KEY_REUSED' } });
    const writer = await gw.connect({ scopes: ['operator.write'] });
    await expect(writer.call('chat.inject', { sessionKey: 'main', message: 'c', idempotencyKey: 'k2' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('refuses an unknown non-main session with SESSION_NOT_FOUND, and keeps refusing that key', async () => {
    const params = { sessionKey: 'agent:main:telegram:direct:9', message: 'x', idempotencyKey: 'nf' };
    await expect(client.call('chat.inject', params)).rejects.toMatchObject({ details: { code: 'SESSION_NOT_FOUND' } });
    await client.call('sessions.patch', { key: params.sessionKey });
    await expect(client.call('chat.inject', params)).rejects.toMatchObject({ details: { code: 'SESSION_NOT_FOUND' } });
    await expect(client.call('chat.inject', { ...params, idempotencyKey: 'nf2' })).resolves.toMatchObject({ ok: true });
  });
});

describe('chat.history', () => {
  it('pages back through the transcript with a cursor, oldest first within a page', async () => {
    await inject(25);
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await client.call('chat.history', { sessionKey: 'main', limit: 10, ...(cursor ? { cursor } : {}) });
      expect(page.messages.map((m) => m.seq)).toEqual([...page.messages.map((m) => m.seq)].sort((a, b) => a - b));
      seen.unshift(...page.messages.map((m) => m.seq));
      cursor = page.nextCursor;
      expect(page.hasMore).toBe(cursor !== undefined);
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });

  it('stops a page at the byte budget; entries larger than the budget become placeholders', async () => {
    await Promise.all(Array.from({ length: 10 }, (_, i) => client.call('chat.inject', { sessionKey: 'main', message: 'y'.repeat(3000), idempotencyKey: `b${i}` })));
    const page = await client.call('chat.history', { sessionKey: 'main', maxBytes: 10_000 });
    expect(page.messages.length).toBe(3);
    expect(Buffer.byteLength(JSON.stringify(page.messages))).toBeLessThanOrEqual(10_000);
    expect(page.hasMore).toBe(true);
    // Entries larger than the whole budget can never fit: they come back as placeholders.
    const tiny = await client.call('chat.history', { sessionKey: 'main', maxBytes: 1024 });
    expect(tiny.messages.length).toBeGreaterThan(0);
    expect(tiny.messages.every((m) => m.truncated !== undefined)).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(tiny.messages))).toBeLessThanOrEqual(1024);
  });

  it('returns a huge entry as a placeholder, cuts long text with maxChars', async () => {
    await client.call('chat.inject', { sessionKey: 'main', message: 'z'.repeat(50_000), idempotencyKey: 'huge' });
    await client.call('chat.inject', { sessionKey: 'main', message: 'w'.repeat(5_000), idempotencyKey: 'long' });
    const { messages } = await client.call('chat.history', { sessionKey: 'main', maxChars: 100 });
    expect(messages[0].truncated!.bytes).toBeGreaterThan(50_000);
    expect((messages[0].content[0] as { text: string }).text).toMatch(/entry omitted/);
    expect((messages[1].content[0] as { text: string }).text).toHaveLength(100);
  });

  it('refuses a forged cursor and one from an earlier generation', async () => {
    await inject(5);
    const { nextCursor } = await client.call('chat.history', { sessionKey: 'main', limit: 2 });
    await expect(client.call('chat.history', { sessionKey: 'main', cursor: 'not-a-cursor' })).rejects.toMatchObject({ details: { code: 'INVALID_CURSOR' } });
    await client.call('sessions.reset', { key: 'main' });
    await expect(client.call('chat.history', { sessionKey: 'main', cursor: nextCursor! })).rejects.toMatchObject({ details: { code: 'INVALID_CURSOR' } });
  });

  it('advertises its limits and the idempotency window in hello-ok.policy', () => {
    expect(client.hello!.policy.history).toEqual({ maxBytes: 64 * 1024, maxEntryBytes: 20_000 });
    expect(client.hello!.policy.idempotency).toEqual({ ttlMs: 24 * 60 * 60 * 1000, maxEntries: 100_000 });
  });

  it('returns an empty page for a session that does not exist', async () => {
    expect(await client.call('chat.history', { sessionKey: 'agent:main:nobody' })).toEqual({ sessionKey: 'agent:main:nobody', messages: [], hasMore: false });
  });
});
