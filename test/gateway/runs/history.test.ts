// Transcript entries → model history: conversation order, merged user turns, every tool call
// paired with one result, placeholders for entries too large to load, the byte window.
import { describe, expect, it } from 'vitest';
import type { TranscriptEntry } from '@switchboard/gateway';
import { parseUntrustedBlocks } from '@switchboard/gateway/agent';
import { MISSING_TOOL_RESULT, historyMessages, historyWindow } from '@switchboard/gateway/runs';

let seq = 0;
function entry(role: TranscriptEntry['role'], runId: string | undefined, content: unknown[] | undefined, extra: Partial<TranscriptEntry> = {}): TranscriptEntry {
  seq++;
  return {
    id: `e${seq}`, sessionId: 's', seq, role, state: 'final', bytes: JSON.stringify(content ?? []).length, createdAt: seq, updatedAt: seq,
    ...(content ? { content } : {}), ...(runId ? { runId } : {}), ...extra,
  };
}
const text = (t: string) => [{ type: 'text', text: t }];
const call = (id: string, name: string) => ({ type: 'toolCall', id, name, arguments: '{}' });

describe('run history', () => {
  it('puts a message stored during another run after that run, users first within a run', () => {
    seq = 0;
    const entries = [
      entry('user', 'A', text('question A')),
      entry('assistant', 'A', [...text('checking'), call('c1', 'lookup')]),
      entry('user', 'B', text('question B, sent while A ran')),
      entry('tool', 'A', text('result'), { toolCallId: 'c1' }),
      entry('assistant', 'A', text('answer A')),
      entry('assistant', 'B', text('answer B')),
    ];
    const h = historyMessages(entries);
    expect(h.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant', 'user', 'assistant']);
    expect(h[1]).toMatchObject({ toolCalls: [{ id: 'c1', name: 'lookup', arguments: '{}' }] });
    expect(h[2]).toMatchObject({ role: 'tool', toolCallId: 'c1', name: 'lookup', content: 'result' });
    expect(parseUntrustedBlocks((h[4] as { content: string }).content).map((b) => b.text)).toEqual(['question B, sent while A ran']);
  });

  it('leaves out excluded runs, merges adjacent user turns, keeps origin as untrusted data', () => {
    seq = 0;
    const entries = [
      entry('user', 'A', text('one'), { meta: { origin: { channel: 'telegram', sender: { name: 'Ann' } } } }),
      entry('user', 'B', text('two (merged into B)')),
      entry('user', 'B', text('three')),
      entry('assistant', 'B', text('answer B')),
      entry('user', 'C', text('waiting')),
    ];
    const h = historyMessages(entries, new Set(['C']));
    expect(h.map((m) => m.role)).toEqual(['user', 'assistant']);
    const blocks = parseUntrustedBlocks((h[0] as { content: string }).content);
    expect(blocks).toEqual([
      { text: 'one', channel: 'telegram', sender: { name: 'Ann' } },
      { text: 'two (merged into B)' },
      { text: 'three' },
    ]);
  });

  it('pairs every tool call with one result: stands in for a missing one, drops strays, skips empty turns and notes', () => {
    seq = 0;
    const entries = [
      entry('tool', 'Z', text('stray result of a call cut off by the window'), { toolCallId: 'gone' }),
      entry('user', 'A', text('q')),
      entry('assistant', 'A', [call('c1', 'a'), call('c2', 'b')]),
      entry('tool', 'A', text('ok'), { toolCallId: 'c2' }),
      entry('assistant', 'A', [], { state: 'error' }),
      entry('system-note', undefined, text('note for people')),
      entry('assistant', undefined, text('injected note')),
    ];
    const h = historyMessages(entries);
    expect(h.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'tool', 'assistant']);
    expect(h[2]).toMatchObject({ toolCallId: 'c2', content: 'ok' });
    expect(h[3]).toMatchObject({ toolCallId: 'c1', content: MISSING_TOOL_RESULT, isError: true });
    expect(h[4]).toEqual({ role: 'assistant', content: 'injected note' });
  });

  it('marks interrupted tool results as errors and stands in for entries too large to load', () => {
    seq = 0;
    const entries = [
      entry('user', 'A', undefined, { bytes: 900_000 }),
      entry('assistant', 'A', [call('c1', 'a')]),
      entry('tool', 'A', text('interrupted'), { toolCallId: 'c1', state: 'interrupted' }),
    ];
    const h = historyMessages(entries);
    expect(parseUntrustedBlocks((h[0] as { content: string }).content)[0].text).toMatch(/900000 bytes was left out/);
    expect(h[2]).toMatchObject({ role: 'tool', isError: true });
  });

  it('keeps the newest entries within the byte budget (at least one), oldest first', () => {
    seq = 0;
    const newestFirst = [entry('assistant', 'A', text('c')), entry('user', 'A', text('b')), entry('user', 'A', text('a'))].map((e) => ({ ...e, bytes: 100 }));
    expect(historyWindow(newestFirst, 250).map((e) => e.id)).toEqual(['e2', 'e1']);
    expect(historyWindow(newestFirst, 10).map((e) => e.id)).toEqual(['e1']);
  });
});
