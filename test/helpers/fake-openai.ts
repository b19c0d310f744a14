/**
 * A local fake of an OpenAI-compatible Chat Completions server, for running the real provider
 * code (and later the run manager, the WebChat tests and the benchmarks) against scripted answers.
 *
 * - `POST /v1/chat/completions` answers with the next scripted response (FIFO, in arrival order);
 *   with none queued it uses `fallback`, by default a 500 saying the script ran out.
 * - Any other path answers 404 like a real server would (a wrong `baseUrl`), consuming nothing.
 * - Every request is recorded (method, path, headers, parsed body) so tests assert what was sent.
 *
 * A streamed response is a list of steps: `{chunk}` (one `data: <json>` event), `{data}` (a raw
 * data line), `{raw}` (bytes exactly as given: split events, comments, CRLF), `{done: true}`
 * (`data: [DONE]`), `{wait: ms}`, `{destroy: true}` (drop the socket mid-stream), `{hang: true}`
 * (stop sending, keep the socket open). The `sse` builders make the usual shapes.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One step of a streamed response. */
export type FakeStep =
  | { chunk: Record<string, unknown> }
  | { data: string }
  | { raw: string }
  | { done: true }
  | { wait: number }
  | { destroy: true }
  | { hang: true };

/** A scripted response. */
export interface FakeResponse {
  /** Default 200. */
  status?: number;
  headers?: Record<string, string>;
  /** A whole body (JSON-encoded when an object); used when `steps` is absent. */
  body?: string | Record<string, unknown>;
  /** A streamed body. */
  steps?: FakeStep[];
  /** Pause before the response headers (ms). */
  headersDelayMs?: number;
  /** Never answer at all (connect timeout tests). */
  noHeaders?: boolean;
}

/** What the fake received. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or the raw text when it was not JSON. */
  body: any;
  at: number;
  /** When the response's connection closed (set once it has). */
  closedAt?: number;
}

export type FakeResponder = FakeResponse | ((request: RecordedRequest) => FakeResponse);

export interface FakeOpenAI {
  /** API root to give the provider, e.g. `http://127.0.0.1:PORT/v1`. */
  baseUrl: string;
  requests: RecordedRequest[];
  /** Queues responses, answered in request arrival order. */
  enqueue(...responses: FakeResponder[]): void;
  /** Used when the queue is empty. */
  fallback: FakeResponder;
  /** Forgets queued responses and recorded requests (between tests). */
  reset(): void;
  /** Resolves when at least `count` chat requests arrived. */
  waitForRequests(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const MAX_BODY = 16 * 1024 * 1024;

/** Starts the fake on a loopback port. */
export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const queue: FakeResponder[] = [];
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const fake: FakeOpenAI = {
    baseUrl: '',
    requests,
    enqueue: (...responses) => void queue.push(...responses),
    fallback: errorResponse(500, 'fake-openai: no scripted response left for this request'),
    reset() {
      queue.length = 0;
      requests.length = 0;
    },
    async waitForRequests(count, timeoutMs = 5_000) {
      const end = Date.now() + timeoutMs;
      while (requests.length < count) {
        if (Date.now() > end) throw new Error(`fake-openai: expected ${count} requests, got ${requests.length}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => res.socket?.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Keep the raw text.
    }
    const path = req.url ?? '/';
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      return send(res, errorResponse(404, `Unknown request URL: ${req.method} ${path}`));
    }
    const recorded: RecordedRequest = { method: req.method, path, headers: req.headers, body, at: Date.now() };
    requests.push(recorded);
    res.on('close', () => {
      recorded.closedAt = Date.now();
    });
    const next = queue.shift() ?? fake.fallback;
    await send(res, typeof next === 'function' ? next(recorded) : next);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return fake;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new Error('fake-openai: request body too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function send(res: ServerResponse, r: FakeResponse): Promise<void> {
  if (r.noHeaders) return;
  if (r.headersDelayMs) await sleep(r.headersDelayMs);
  const streamed = r.steps !== undefined;
  res.writeHead(r.status ?? 200, {
    'content-type': streamed ? 'text/event-stream' : 'application/json',
    ...(streamed ? { 'cache-control': 'no-cache' } : {}),
    ...r.headers,
  });
  if (!streamed) {
    res.end(typeof r.body === 'string' ? r.body : JSON.stringify(r.body ?? {}));
    return;
  }
  res.flushHeaders();
  for (const step of r.steps!) {
    if (res.destroyed) return;
    if ('wait' in step) await sleep(step.wait);
    else if ('destroy' in step) {
      // Hand what was written to the kernel first, so the client really saw it before the drop.
      await new Promise((r) => res.write('', r));
      return void res.socket?.destroy();
    }
    else if ('hang' in step) return;
    else if ('done' in step) res.write('data: [DONE]\n\n');
    else if ('chunk' in step) res.write(`data: ${JSON.stringify(step.chunk)}\n\n`);
    else if ('data' in step) res.write(`data: ${step.data}\n\n`);
    else res.write(step.raw);
  }
  res.end();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An OpenAI-style error response: `{ error: { message, type, code } }`. */
export function errorResponse(status: number, message: string, extra: { code?: string; headers?: Record<string, string> } = {}): FakeResponse {
  return {
    status,
    headers: extra.headers,
    body: { error: { message, type: status === 429 ? 'rate_limit_error' : 'invalid_request_error', code: extra.code ?? null } },
  };
}

/** One `chat.completion.chunk`. */
export function chunk(delta: Record<string, unknown>, finishReason: string | null = null, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1, model: 'fake-model', choices: [{ index: 0, delta, finish_reason: finishReason }], ...extra };
}

/** The usage chunk sent last when `stream_options.include_usage` is on. */
export function usageChunk(prompt: number, completion: number): Record<string, unknown> {
  return { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1, model: 'fake-model', choices: [], usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion } };
}

/** Builders of the usual streamed shapes. */
export const sse = {
  /** Text in `parts`, with `waitMs` between parts, a finish chunk, an optional usage chunk, `[DONE]`. */
  text(parts: string[], options: { waitMs?: number; finishReason?: string; usage?: [number, number]; done?: boolean } = {}): FakeResponse {
    const steps: FakeStep[] = [{ chunk: chunk({ role: 'assistant', content: '' }) }];
    parts.forEach((p, i) => {
      if (i > 0 && options.waitMs) steps.push({ wait: options.waitMs });
      steps.push({ chunk: chunk({ content: p }) });
    });
    steps.push({ chunk: chunk({}, options.finishReason ?? 'stop') });
    if (options.usage) steps.push({ chunk: usageChunk(...options.usage) });
    if (options.done !== false) steps.push({ done: true });
    return { steps };
  },

  /**
   * Tool calls streamed the OpenAI way: per call a first piece with id and name, then the
   * arguments split into `pieces` parts; optional text first; finish `tool_calls`; `[DONE]`.
   */
  toolCalls(calls: Array<{ id: string; name: string; args: string }>, options: { pieces?: number; text?: string; usage?: [number, number] } = {}): FakeResponse {
    const steps: FakeStep[] = [{ chunk: chunk({ role: 'assistant', content: null }) }];
    if (options.text) steps.push({ chunk: chunk({ content: options.text }) });
    calls.forEach((c, index) => {
      steps.push({ chunk: chunk({ tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }] }) });
      for (const piece of split(c.args, options.pieces ?? 3)) {
        steps.push({ chunk: chunk({ tool_calls: [{ index, function: { arguments: piece } }] }) });
      }
    });
    steps.push({ chunk: chunk({}, 'tool_calls') });
    if (options.usage) steps.push({ chunk: usageChunk(...options.usage) });
    steps.push({ done: true });
    return { steps };
  },

  /** A whole non-streamed `chat.completion` (servers that ignore `stream: true`). */
  completion(text: string, usage?: [number, number]): FakeResponse {
    return {
      body: {
        id: 'chatcmpl-fake', object: 'chat.completion', created: 1, model: 'fake-model',
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
        ...(usage ? { usage: { prompt_tokens: usage[0], completion_tokens: usage[1], total_tokens: usage[0] + usage[1] } } : {}),
      },
    };
  },
};

function split(text: string, pieces: number): string[] {
  if (pieces <= 1 || text.length <= 1) return [text];
  const size = Math.ceil(text.length / pieces);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}
