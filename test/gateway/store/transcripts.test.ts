// Sessions and transcripts on a real SQLite file: numbering, generations, streaming checkpoints,
// and the start-up repair of what a crash left open (partial messages, tool calls without results).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INTERRUPTED_TOOL_RESULT } from '@switchboard/gateway';
import { tempStore, type TempStore } from '../../helpers/store.js';

const KEY = 'agent:main:main';
let t: TempStore;
beforeEach(() => { t = tempStore(); });
afterEach(() => t.cleanup());

const text = (s: string) => [{ type: 'text', text: s }];

describe('sessions', () => {
  it('creates a session with a transcript generation, once', () => {
    const a = t.store.sessions.ensure(KEY, 'main', 1000);
    const b = t.store.sessions.ensure(KEY, 'main', 2000);
    expect(b.sessionId).toBe(a.sessionId);
    expect(a).toMatchObject({ key: KEY, agentId: 'main', queueMode: 'interrupt', messageCount: 0, createdAt: 1000 });
  });

  it('patches and clears fields; clearing the queue mode restores interrupt', () => {
    t.store.sessions.ensure(KEY, 'main', 1);
    expect(t.store.sessions.patch(KEY, { label: 'work', queueMode: 'collect', model: 'm1' }, 5)).toMatchObject({ label: 'work', queueMode: 'collect', model: 'm1', updatedAt: 5 });
    const cleared = t.store.sessions.patch(KEY, { label: null, queueMode: null }, 6);
    expect(cleared.label).toBeUndefined();
    expect(cleared.queueMode).toBe('interrupt');
    expect(cleared.model).toBe('m1');
  });

  it('resets into a new generation, keeps the old one, and does nothing for an empty transcript', () => {
    const s = t.store.sessions.ensure(KEY, 'main', 1);
    expect(t.store.sessions.reset(KEY, 'reset', 2).rotated).toBe(false);
    t.store.transcripts.append(s.sessionId, { role: 'user', content: text('hi') }, 3);
    const { record, rotated } = t.store.sessions.reset(KEY, 'new', 4);
    expect(rotated).toBe(true);
    expect(record.sessionId).not.toBe(s.sessionId);
    expect(record.previousSessionId).toBe(s.sessionId);
    expect(record.messageCount).toBe(0);
    expect(t.store.transcripts.count(s.sessionId)).toBe(1);
    const kept = t.store.sessions.delete(KEY, false);
    expect(kept).toEqual({ deleted: true, sessionIds: [s.sessionId, record.sessionId] });
    expect(t.store.transcripts.count(s.sessionId)).toBe(1);
  });

  it('deletes every generation with its transcript', () => {
    const s = t.store.sessions.ensure(KEY, 'main', 1);
    t.store.transcripts.append(s.sessionId, { role: 'user', content: text('hi'), toolCalls: [] }, 2);
    expect(t.store.sessions.delete(KEY, true).deleted).toBe(true);
    expect(t.store.sessions.get(KEY)).toBeUndefined();
    expect(t.store.transcripts.count(s.sessionId)).toBe(0);
    expect(t.store.sessions.delete(KEY, true).deleted).toBe(false);
  });

  it('lists most recently updated first, filtered and paginated', () => {
    for (let i = 0; i < 5; i++) t.store.sessions.ensure(`agent:main:telegram:direct:${i}`, 'main', 100 + i);
    t.store.sessions.ensure('agent:other:main', 'other', 50);
    const page = t.store.sessions.list({ limit: 2, offset: 0 });
    expect(page.total).toBe(6);
    expect(page.rows.map((r) => r.key)).toEqual(['agent:main:telegram:direct:4', 'agent:main:telegram:direct:3']);
    expect(t.store.sessions.list({ limit: 10, offset: 0, agentId: 'other' }).rows.map((r) => r.key)).toEqual(['agent:other:main']);
    expect(t.store.sessions.list({ limit: 10, offset: 0, search: 'DIRECT:2' }).total).toBe(1);
    expect(t.store.sessions.list({ limit: 10, offset: 0, updatedSince: 103 }).total).toBe(2);
  });
});

describe('transcripts', () => {
  it('numbers entries from 1 without gaps and pages newest first', () => {
    const s = t.store.sessions.ensure(KEY, 'main', 1);
    for (let i = 1; i <= 5; i++) {
      expect(t.store.transcripts.append(s.sessionId, { role: 'user', content: text(`m${i}`) }, i).seq).toBe(i);
    }
    expect(t.store.transcripts.page(s.sessionId, { limit: 2, maxEntryBytes: 1e6 }).map((e) => e.seq)).toEqual([5, 4]);
    expect(t.store.transcripts.page(s.sessionId, { beforeSeq: 4, limit: 10, maxEntryBytes: 1e6 }).map((e) => e.seq)).toEqual([3, 2, 1]);
    expect(t.store.sessions.get(KEY)!.messageCount).toBe(5);
  });

  it('does not load entries above the size limit', () => {
    const s = t.store.sessions.ensure(KEY, 'main', 1);
    t.store.transcripts.append(s.sessionId, { role: 'tool', toolCallId: 'c', content: text('x'.repeat(10_000)) }, 1);
    const [big] = t.store.transcripts.page(s.sessionId, { limit: 1, maxEntryBytes: 1000 });
    expect(big.content).toBeUndefined();
    expect(big.bytes).toBeGreaterThan(10_000);
  });

  it('refuses appends to a deleted generation', () => {
    const s = t.store.sessions.ensure(KEY, 'main', 1);
    t.store.sessions.delete(KEY, true);
    expect(() => t.store.transcripts.append(s.sessionId, { role: 'user', content: text('late') }, 2)).toThrow(/does not exist/);
  });

  it('repairs a crash mid-run: the partial message is interrupted, the open tool call gets a result', () => {
    const s = t.store.sessions.ensure(KEY, 'main', 1);
    const tr = t.store.transcripts;
    tr.append(s.sessionId, { role: 'user', content: text('run ls'), idempotencyKey: 'k1' }, 2);
    // A finished assistant turn asking for two tools; one result arrived, the other did not.
    tr.append(s.sessionId, {
      role: 'assistant', runId: 'r1',
      content: [{ type: 'toolCall', id: 'c1', name: 'ls' }, { type: 'toolCall', id: 'c2', name: 'cat' }],
      toolCalls: [{ id: 'c1', name: 'ls' }, { id: 'c2', name: 'cat' }],
    }, 3);
    tr.append(s.sessionId, { role: 'tool', runId: 'r1', toolCallId: 'c1', content: text('a b c') }, 4);
    // A second session is mid-stream: its assistant message is partial, checkpointed once.
    const other = t.store.sessions.ensure('agent:main:webchat:x', 'main', 5);
    const partial = tr.append(other.sessionId, { role: 'assistant', runId: 'r2', state: 'partial', content: text('Hel') }, 6);
    tr.update(partial.id, { content: text('Hello wor') }, 7);

    const store = t.reopen(); // the crash: nothing is closed cleanly
    expect(store.recover(100)).toEqual({ partialsClosed: 1, toolCallsClosed: 1, deliveriesRequeued: 0 });
    const entries = store.transcripts.page(s.sessionId, { limit: 10, maxEntryBytes: 1e6 }).reverse();
    expect(entries.map((e) => [e.role, e.toolCallId ?? null, e.state])).toEqual([
      ['user', null, 'final'], ['assistant', null, 'final'], ['tool', 'c1', 'final'], ['tool', 'c2', 'interrupted'],
    ]);
    expect(entries[3].content).toEqual(text(INTERRUPTED_TOOL_RESULT));
    expect(entries[3].meta).toMatchObject({ isError: true, abort: { reason: 'gateway-restart', at: 100 } });
    const [stopped] = store.transcripts.page(other.sessionId, { limit: 1, maxEntryBytes: 1e6 });
    expect(stopped).toMatchObject({ state: 'interrupted', content: text('Hello wor'), meta: { abort: { reason: 'gateway-restart' } } });
    // Idempotent: a second start finds nothing left to repair.
    expect(store.recover(200)).toEqual({ partialsClosed: 0, toolCallsClosed: 0, deliveriesRequeued: 0 });
  });

  it('closes pending tool calls registered when a streamed message finishes', () => {
    const s = t.store.sessions.ensure(KEY, 'main', 1);
    const e = t.store.transcripts.append(s.sessionId, { role: 'assistant', state: 'partial', runId: 'r', content: [] }, 1);
    t.store.transcripts.update(e.id, { state: 'final', content: [{ type: 'toolCall', id: 'x', name: 'sh' }], toolCalls: [{ id: 'x', name: 'sh' }] }, 2);
    expect(t.store.recover(3).toolCallsClosed).toBe(1);
  });
});
