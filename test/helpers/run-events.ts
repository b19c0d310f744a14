/**
 * Records the `chat` and `agent` events a client receives, per run, checking every payload against
 * the protocol's event schemas; tests then wait for a run's end and read what arrived.
 */
import { compileValidators } from '@switchboard/protocol/validators';
import type { AgentEvent, ChatEvent } from '@switchboard/protocol';
import type { GatewayClient } from '@switchboard/sdk/node';

const validators = compileValidators({ events: true });

export interface RunRecorder {
  chat(runId: string): ChatEvent[];
  agent(runId: string): AgentEvent[];
  /** Resolves with the run's terminal chat event (final, aborted or error). */
  ended(runId: string, timeoutMs?: number): Promise<ChatEvent>;
  /** Resolves once `check` holds. */
  until(check: () => boolean, timeoutMs?: number): Promise<void>;
  /** Schema violations seen (should stay empty). */
  readonly invalid: string[];
}

export function recordRuns(client: GatewayClient): RunRecorder {
  const chats = new Map<string, ChatEvent[]>();
  const agents = new Map<string, AgentEvent[]>();
  const invalid: string[] = [];
  const check = (name: 'chat' | 'agent', payload: unknown) => {
    const validate = validators.events.get(name)!;
    if (!validate(payload)) invalid.push(`${name}: ${JSON.stringify(validate.errors)} in ${JSON.stringify(payload)}`);
  };
  client.on('chat', (p) => {
    check('chat', p);
    const list = chats.get(p.runId) ?? [];
    list.push(p);
    chats.set(p.runId, list);
  });
  client.on('agent', (p) => {
    check('agent', p);
    const list = agents.get(p.runId) ?? [];
    list.push(p);
    agents.set(p.runId, list);
  });
  const until = async (cond: () => boolean, timeoutMs = 10_000) => {
    const end = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > end) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const terminal = (runId: string) => (chats.get(runId) ?? []).find((e) => e.state === 'final' || e.state === 'aborted' || e.state === 'error');
  return {
    chat: (runId) => chats.get(runId) ?? [],
    agent: (runId) => agents.get(runId) ?? [],
    async ended(runId, timeoutMs) {
      await until(() => terminal(runId) !== undefined, timeoutMs);
      return terminal(runId)!;
    },
    until,
    invalid,
  };
}

/** Text of a chat event's message (`{content: [{type:"text", text}]}`). */
export function messageText(event: { message?: unknown }): string {
  const content = (event.message as { content?: Array<{ type: string; text?: string }> } | undefined)?.content ?? [];
  return content.filter((b) => b.type === 'text').map((b) => b.text ?? '').join('');
}
