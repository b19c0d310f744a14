/**
 * A model provider driven by the test, for run-manager tests that need exact control over when a
 * run streams, pauses and ends: each request takes the next scripted turn (FIFO; a default answer
 * when none is queued). It keeps the provider contract: never throws, one `finish` last, honours
 * the abort signal promptly.
 */
import type { ModelProvider, ModelRequest, ProviderEvent, ToolCall } from '@switchboard/gateway/agent';
import { ProviderError } from '@switchboard/gateway/agent';

/** One scripted model turn. */
export interface ScriptedTurn {
  /** Text pieces streamed in order. */
  text?: string[];
  /** Pause between pieces (ms). */
  delayMs?: number;
  /** Tool calls asked for after the text. */
  toolCalls?: ToolCall[];
  /** Waits for this before finishing (the run stays "running" until the test releases it). */
  hold?: Promise<unknown>;
  /** Ends the turn with this error after the text. */
  error?: ProviderError;
}

export class ScriptedProvider implements ModelProvider {
  readonly id = 'scripted';
  readonly model = 'scripted-model';
  readonly requests: ModelRequest[] = [];
  private readonly turns: ScriptedTurn[] = [];

  constructor(private readonly fallback: ScriptedTurn = { text: ['ok'] }) {}

  enqueue(...turns: ScriptedTurn[]): void {
    this.turns.push(...turns);
  }

  async *stream(request: ModelRequest, signal: AbortSignal): AsyncGenerator<ProviderEvent> {
    this.requests.push(request);
    const turn = this.turns.shift() ?? this.fallback;
    let sent = '';
    const aborted = () => ({ type: 'finish' as const, reason: 'aborted' as const, text: sent, toolCalls: [] });
    for (const [i, piece] of (turn.text ?? []).entries()) {
      if (i > 0 && turn.delayMs) await pause(turn.delayMs, signal);
      if (signal.aborted) return yield aborted();
      sent += piece;
      yield { type: 'text', delta: piece };
    }
    if (turn.hold) await Promise.race([turn.hold, new Promise((r) => signal.addEventListener('abort', r, { once: true }))]);
    if (signal.aborted) return yield aborted();
    if (turn.error) return yield { type: 'finish', reason: 'error', text: sent, toolCalls: [], error: turn.error };
    const calls = turn.toolCalls ?? [];
    for (const call of calls) yield { type: 'tool_call', call };
    yield { type: 'finish', reason: calls.length > 0 ? 'tool_calls' : 'stop', text: sent, toolCalls: calls };
  }
}

/** A promise the test resolves by hand. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => { open = r; });
  return { promise, open };
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
}
