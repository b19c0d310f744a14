// sessions.* against the real gateway on a loopback port with a real SQLite file.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayClient } from '@switchboard/sdk';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';

let gw: TestGateway;
let client: GatewayClient;
beforeEach(async () => {
  gw = await startTestGateway();
  client = await gw.connect();
});
afterEach(() => gw.close());

describe('sessions methods', () => {
  it('lists the main session of a fresh gateway, with OpenClaw defaults', async () => {
    const list = await client.call('sessions.list', {});
    expect(list.defaults).toEqual({ defaultAgentId: 'main', mainKey: 'main', mainSessionKey: 'agent:main:main' });
    expect(list.sessions).toHaveLength(1);
    expect(list.sessions[0]).toMatchObject({ key: 'agent:main:main', kind: 'direct', isMain: true, queueMode: 'interrupt', messageCount: 0 });
    expect(list).toMatchObject({ count: 1, totalCount: 1, hasMore: false, offset: 0 });
  });

  it('patches (creating the session), announces the change, and paginates the list', async () => {
    const changes: unknown[] = [];
    client.on('sessions.changed', (p) => changes.push(p));
    const patched = await client.call('sessions.patch', { key: 'agent:main:telegram:direct:42', label: 'Ana', queueMode: 'collect', thinkingLevel: 'high' });
    expect(patched.entry).toMatchObject({ key: 'agent:main:telegram:direct:42', label: 'Ana', queueMode: 'collect', thinkingLevel: 'high' });
    await client.call('sessions.patch', { key: 'agent:main:telegram:direct:42', label: null, queueMode: null });
    const row = (await client.call('sessions.list', { search: 'direct:42' })).sessions[0];
    expect(row.label).toBeUndefined();
    expect(row.queueMode).toBe('interrupt');
    expect(changes).toHaveLength(2);
    expect(changes[0]).toMatchObject({ sessionKey: 'agent:main:telegram:direct:42', reason: 'patch', session: { label: 'Ana' } });
    for (let i = 0; i < 4; i++) await client.call('sessions.patch', { key: `s${i}` });
    const page1 = await client.call('sessions.list', { limit: 3 });
    expect(page1).toMatchObject({ count: 3, totalCount: 6, hasMore: true, nextOffset: 3 });
    const page2 = await client.call('sessions.list', { limit: 3, offset: page1.nextOffset });
    expect(page2).toMatchObject({ count: 3, hasMore: false });
    expect(new Set([...page1.sessions, ...page2.sessions].map((s) => s.key)).size).toBe(6);
  });

  it('canonicalises bare keys and rejects malformed ones with a typed error', async () => {
    const r = await client.call('sessions.patch', { key: 'main', label: 'home' });
    expect(r.key).toBe('agent:main:main');
    const err = await client.call('sessions.patch', { key: 'agent:Bad Agent!:x' }).catch((e) => e);
    expect(err).toMatchObject({ code: 'INVALID_REQUEST', details: { code: 'INVALID_SESSION_KEY' } });
    const mismatch = await client.call('sessions.patch', { key: 'agent:a:main', agentId: 'b' }).catch((e) => e);
    expect(mismatch.details).toEqual({ code: 'INVALID_SESSION_KEY' });
    expect((await client.call('sessions.list', {})).totalCount).toBe(1);
  });

  it('refuses a patch or delete against an older generation', async () => {
    const before = (await client.call('sessions.list', {})).sessions[0].sessionId;
    await client.call('chat.inject', { sessionKey: 'main', message: 'hi', idempotencyKey: 'k1' });
    await client.call('sessions.reset', { key: 'main' });
    const err = await client.call('sessions.patch', { key: 'main', label: 'x', expectedSessionId: before }).catch((e) => e);
    expect(err.details).toEqual({ code: 'SESSION_CHANGED', expectedSessionId: before });
    const del = await client.call('sessions.delete', { key: 'main', expectedSessionId: before }).catch((e) => e);
    expect(del.details.code).toBe('SESSION_CHANGED');
  });

  it('resets into a new generation only when the current one has entries', async () => {
    const first = await client.call('sessions.reset', { key: 'main' });
    await client.call('chat.inject', { sessionKey: 'main', message: 'one', idempotencyKey: 'k1' });
    const second = await client.call('sessions.reset', { key: 'main', reason: 'new' });
    expect(second.entry.sessionId).not.toBe(first.entry.sessionId);
    expect(second.entry.previousSessionId).toBe(first.entry.sessionId);
    // A retried reset (the answer was lost) finds the fresh, empty generation and changes nothing.
    const retried = await client.call('sessions.reset', { key: 'main', reason: 'new' });
    expect(retried.entry.sessionId).toBe(second.entry.sessionId);
    expect((await client.call('chat.history', { sessionKey: 'main' })).messages).toEqual([]);
  });

  it('deletes a session and its transcripts, or keeps them as archived generations', async () => {
    await client.call('chat.inject', { sessionKey: 'main', message: 'one', idempotencyKey: 'k1' });
    await client.call('sessions.patch', { key: 'agent:main:webchat:a' });
    const kept = await client.call('sessions.delete', { key: 'agent:main:webchat:a', deleteTranscript: false });
    expect(kept).toMatchObject({ ok: true, deleted: true });
    expect(kept.archived).toHaveLength(1);
    const gone = await client.call('sessions.delete', { key: 'main' });
    expect(gone).toEqual({ ok: true, key: 'agent:main:main', deleted: true, archived: [] });
    expect(await client.call('sessions.delete', { key: 'main' })).toMatchObject({ deleted: false });
    expect((await client.call('sessions.list', {})).totalCount).toBe(0);
  });

  it('previews the last items of several sessions as short text', async () => {
    await client.call('chat.inject', { sessionKey: 'main', message: 'x'.repeat(500), idempotencyKey: 'k1' });
    await client.call('chat.inject', { sessionKey: 'main', message: 'second', idempotencyKey: 'k2' });
    await client.call('sessions.patch', { key: 'empty' });
    const { previews } = await client.call('sessions.preview', { keys: ['main', 'empty', 'agent:main:nope', 'agent::bad'], limit: 5, maxChars: 50 });
    expect(previews.map((p) => p.status)).toEqual(['ok', 'empty', 'missing', 'missing']);
    expect(previews[0].items).toHaveLength(2);
    expect(previews[0].items[0].text).toHaveLength(50);
    expect(previews[0].items[1]).toEqual({ role: 'assistant', text: 'second' });
  });

  it('keeps sessions across a restart', async () => {
    await client.call('sessions.patch', { key: 'agent:main:discord:dm:7', label: 'kept', model: 'gpt-x' });
    client.close();
    await gw.restart();
    const again = await gw.connect();
    const row = (await again.call('sessions.list', { label: 'kept' })).sessions[0];
    expect(row).toMatchObject({ key: 'agent:main:discord:dm:7', model: 'gpt-x' });
  });

  it('needs operator.write to patch and operator.admin to reset or delete', async () => {
    const reader = await gw.connect({ scopes: ['operator.read'] });
    await expect(reader.call('sessions.list', {})).resolves.toBeDefined();
    await expect(reader.call('sessions.patch', { key: 'main', label: 'x' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const writer = await gw.connect({ scopes: ['operator.write'] });
    await expect(writer.call('sessions.patch', { key: 'main', label: 'x' })).resolves.toBeDefined();
    await expect(writer.call('sessions.reset', { key: 'main' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(writer.call('sessions.delete', { key: 'main' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
