// The event-stream parser: any split of the bytes gives the same events; comments, CR/LF/CRLF,
// multi-line data, a last event without a blank line, a bounded buffer.
import { describe, expect, it } from 'vitest';
import { readSse, SseOverflowError, SseParser, type SseEvent } from '../../../gateway/src/net/sse.js';

const STREAM =
  ': keep-alive comment\r\n' +
  'data: {"a":1}\r\n\r\n' +
  'event: update\n' +
  'id: 7\n' +
  'data: line one\n' +
  'data: line two\n\n' +
  ':ping\r\r' +
  'data:no-space\r\r' +
  'data\n\n' +
  'data: [DONE]\n\n';

const EXPECTED: SseEvent[] = [
  { event: 'message', data: '{"a":1}' },
  { event: 'update', data: 'line one\nline two', id: '7' },
  { event: 'message', data: 'no-space', id: '7' },
  { event: 'message', data: '', id: '7' },
  { event: 'message', data: '[DONE]', id: '7' },
];

function parseAll(pieces: string[]): SseEvent[] {
  const parser = new SseParser();
  return [...pieces.flatMap((p) => parser.push(p)), ...parser.end()];
}

describe('SseParser', () => {
  it('parses a stream with comments, named events, ids, multi-line data and mixed line ends', () => {
    expect(parseAll([STREAM])).toEqual(EXPECTED);
  });

  it('gives the same events however the text is split in two (every position)', () => {
    for (let i = 0; i <= STREAM.length; i++) {
      expect(parseAll([STREAM.slice(0, i), STREAM.slice(i)]), `split at ${i}`).toEqual(EXPECTED);
    }
  });

  it('gives the same events when fed one character at a time', () => {
    expect(parseAll([...STREAM])).toEqual(EXPECTED);
  });

  it('treats a CRLF split across reads as one line end', () => {
    expect(parseAll(['data: x\r', '\n\r', '\n'])).toEqual([{ event: 'message', data: 'x' }]);
  });

  it('dispatches a last event that has no blank line after it, at end()', () => {
    const parser = new SseParser();
    expect(parser.push('data: tail')).toEqual([]);
    expect(parser.end()).toEqual([{ event: 'message', data: 'tail' }]);
  });

  it('ignores comment-only and empty events', () => {
    expect(parseAll([': a\n\n: b\n\n\n\n'])).toEqual([]);
  });

  it('bounds one event: an endless line or endless data throws SseOverflowError', () => {
    const parser = new SseParser({ maxEventChars: 100 });
    expect(() => parser.push('data: ' + 'x'.repeat(200))).toThrow(SseOverflowError);
    const many = new SseParser({ maxEventChars: 100 });
    expect(() => {
      for (let i = 0; i < 50; i++) many.push('data: 0123456789\n');
    }).toThrow(SseOverflowError);
  });
});

describe('readSse', () => {
  it('decodes UTF-8 split inside a character and reports bytes read', async () => {
    const bytes = new TextEncoder().encode('data: {"t":"héllo ✓"}\n\n');
    const cut = bytes.indexOf(0xe2) + 1; // inside the 3-byte check mark
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes.slice(0, cut));
        c.enqueue(bytes.slice(cut));
        c.close();
      },
    });
    let counted = 0;
    const events: SseEvent[] = [];
    for await (const e of readSse(body, { onBytes: (n) => (counted += n) })) events.push(e);
    expect(events).toEqual([{ event: 'message', data: '{"t":"héllo ✓"}' }]);
    expect(counted).toBe(bytes.length);
  });

  it('propagates a broken body', async () => {
    let n = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (n++ === 0) c.enqueue(new TextEncoder().encode('data: 1\n\n'));
        else c.error(new Error('socket hang up'));
      },
    });
    const seen: string[] = [];
    await expect((async () => {
      for await (const e of readSse(body)) seen.push(e.data);
    })()).rejects.toThrow('socket hang up');
    expect(seen).toEqual(['1']);
  });
});
