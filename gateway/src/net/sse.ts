/**
 * A server-sent events parser (the WHATWG `text/event-stream` format), fed with text as it
 * arrives. It handles events split across reads at any byte, CR/LF/CRLF line ends (including a
 * CRLF split between two reads), multi-line `data:` fields, comments (`: keep-alive`) and a final
 * event without a trailing blank line. Its buffer is bounded: an event larger than
 * `maxEventChars` is an error, never unbounded growth.
 */

/** One dispatched event. `event` defaults to `message`, like in browsers. */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/** Thrown when one event exceeds the parser's size limit. */
export class SseOverflowError extends Error {
  override readonly name = 'SseOverflowError';
}

/** Default bound of one event (characters of buffered line + data). */
export const DEFAULT_MAX_EVENT_CHARS = 4 * 1024 * 1024;

/** Incremental parser: {@link SseParser.push} text, get back the events completed by it. */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private dataChars = 0;
  private eventName = '';
  private lastId: string | undefined;
  private readonly maxEventChars: number;

  constructor(options: { maxEventChars?: number } = {}) {
    this.maxEventChars = options.maxEventChars ?? DEFAULT_MAX_EVENT_CHARS;
  }

  /** Feeds the next piece of text; returns every event it completed, in order. */
  push(text: string): SseEvent[] {
    this.buffer += text;
    const out: SseEvent[] = [];
    let start = 0;
    for (;;) {
      const cr = this.buffer.indexOf('\r', start);
      const lf = this.buffer.indexOf('\n', start);
      if (cr < 0 && lf < 0) break;
      let end: number;
      let next: number;
      if (cr >= 0 && (lf < 0 || cr < lf)) {
        // A CR at the very end may be the first half of a CRLF: wait for the next read.
        if (cr === this.buffer.length - 1) break;
        end = cr;
        next = this.buffer[cr + 1] === '\n' ? cr + 2 : cr + 1;
      } else {
        end = lf;
        next = lf + 1;
      }
      const event = this.line(this.buffer.slice(start, end));
      if (event) out.push(event);
      start = next;
    }
    this.buffer = this.buffer.slice(start);
    if (this.buffer.length + this.dataChars > this.maxEventChars) {
      throw new SseOverflowError(`an event-stream event exceeded ${this.maxEventChars} characters`);
    }
    return out;
  }

  /** The stream ended: dispatches a last event that had no blank line after it. */
  end(): SseEvent[] {
    const out: SseEvent[] = [];
    if (this.buffer.length > 0) {
      const event = this.line(this.buffer.replace(/\r$/, ''));
      if (event) out.push(event);
      this.buffer = '';
    }
    const last = this.dispatch();
    if (last) out.push(last);
    return out;
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      this.data.push(value);
      this.dataChars += value.length + 1;
      if (this.dataChars > this.maxEventChars) {
        throw new SseOverflowError(`an event-stream event exceeded ${this.maxEventChars} characters`);
      }
    } else if (field === 'event') {
      this.eventName = value;
    } else if (field === 'id' && !value.includes('\0')) {
      this.lastId = value;
    }
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const hadData = this.data.length > 0;
    const event: SseEvent = { event: this.eventName || 'message', data: this.data.join('\n') };
    if (this.lastId !== undefined) event.id = this.lastId;
    this.data = [];
    this.dataChars = 0;
    this.eventName = '';
    return hadData ? event : undefined;
  }
}

/** Options of {@link readSse}. */
export interface ReadSseOptions {
  /** Bound of one event; default {@link DEFAULT_MAX_EVENT_CHARS}. */
  maxEventChars?: number;
  /** Called on every read with bytes, comments and keep-alives included (idle timers listen here). */
  onBytes?: (count: number) => void;
}

/**
 * Reads a fetch body as server-sent events. Bytes are decoded as streaming UTF-8, so a character
 * split between two reads is kept whole. Errors of the body (a dropped connection) propagate.
 */
export async function* readSse(body: ReadableStream<Uint8Array>, options: ReadSseOptions = {}): AsyncGenerator<SseEvent> {
  const parser = new SseParser(options);
  const decoder = new TextDecoder();
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      options.onBytes?.(value.byteLength);
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
    yield* parser.push(decoder.decode());
    yield* parser.end();
  } finally {
    // Stops the download when the consumer leaves early; a failed cancel changes nothing.
    await reader.cancel().catch(() => undefined);
  }
}
