/**
 * Frame recorder: every frame a test receives passes through here. Installed checks (the generated
 * JSON Schema, see test/setup/frame-schema.ts) look at each one; by default frames are only counted.
 *
 * A check learns which method a `res` answers when the connection's requests went through a
 * {@link FrameTracker} (the raw helper and the SDK recording socket both use one).
 */

/** What is known about a received frame beyond its own fields. */
export interface FrameContext {
  /** For a `res`: the method of the request with that id, if this connection sent one. */
  readonly method?: string;
  /** For a `res`: 1 for the first answer to that id, 2 for the second (two-answer methods), ... */
  readonly answer?: number;
}

export type FrameCheck = (frame: unknown, context: FrameContext) => void;

const checks: FrameCheck[] = [];
let seen = 0;

/** Installs a check on every recorded frame; returns a function that removes it again. */
export function addFrameCheck(check: FrameCheck): () => void {
  checks.push(check);
  return () => {
    const i = checks.indexOf(check);
    if (i >= 0) checks.splice(i, 1);
  };
}

export function recordFrame(frame: unknown, context: FrameContext = {}): void {
  seen++;
  for (const c of checks) c(frame, context);
}

export function framesSeen(): number {
  return seen;
}

/** Requests remembered per connection; a long test cannot grow the map without bound. */
const MAX_TRACKED_REQUESTS = 10_000;

/**
 * Per-connection bookkeeping of request ids → method, so a `res` can be checked against that
 * method's result (or final) schema.
 */
export class FrameTracker {
  private readonly requests = new Map<string, { method: string; answers: number }>();

  /** Call with every frame the connection sends (text or object). */
  sent(frame: unknown): void {
    const f = typeof frame === 'string' ? safeParse(frame) : frame;
    if (!isObject(f) || f.type !== 'req' || typeof f.id !== 'string' || typeof f.method !== 'string') return;
    if (this.requests.size >= MAX_TRACKED_REQUESTS) this.requests.delete(this.requests.keys().next().value!);
    this.requests.set(f.id, { method: f.method, answers: 0 });
  }

  /** Call with every frame the connection receives (already parsed); records it with its context. */
  received(frame: unknown): void {
    if (isObject(frame) && frame.type === 'res' && typeof frame.id === 'string') {
      const request = this.requests.get(frame.id);
      if (request) {
        request.answers++;
        return recordFrame(frame, { method: request.method, answer: request.answers });
      }
    }
    recordFrame(frame);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
