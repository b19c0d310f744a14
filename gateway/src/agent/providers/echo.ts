/**
 * The `echo` provider: the built-in default when no model is configured, so the gateway works
 * offline. It streams the person's last message back word by word, labelled as the echo agent,
 * and ends with a line saying how to configure a real model.
 *
 * It can also drive the whole tool path without a model:
 * - a message `/tool <name> <json arguments>` (arguments optional, default `{}`) makes it call
 *   tool `<name>` with those arguments;
 * - when the conversation ends with tool results, it reports them back as its answer.
 */
import { randomUUID } from 'node:crypto';
import { sleep } from '../../net/retry.js';
import { parseUntrustedBlocks } from '../prompt.js';
import type { ModelMessage, ModelProvider, ModelRequest, ProviderEvent, ToolCall } from '../provider.js';

/** Options of {@link EchoProvider}. */
export interface EchoProviderOptions {
  /** Pause between two streamed words (ms). Default 25; use 0 in tests. */
  delayMs?: number;
}

/** First words of every echo answer. */
export const ECHO_LABEL = 'Echo agent: ';

/** Last line of every plain echo answer: how to get a real model. */
export const ECHO_HINT =
  '(This is the built-in echo agent, not a model. To talk to a model set agent.provider: openai, agent.baseUrl, ' +
  'agent.model, and the API key in SWITCHBOARD_OPENAI_API_KEY (or the variable named in agent.apiKeyEnv); see docs/agent.md.)';

const TOOL_COMMAND = /^\/tool\s+([A-Za-z0-9_-]+)\s*([\s\S]*)$/;
const MAX_ECHOED_RESULT = 500;

/** The echo provider. Stateless; safe to share. */
export class EchoProvider implements ModelProvider {
  readonly id = 'echo';
  readonly model = 'echo';
  private readonly delayMs: number;

  constructor(options: EchoProviderOptions = {}) {
    this.delayMs = options.delayMs ?? 25;
  }

  /** Streams the echo of the last user turn, a tool call, or a report of tool results. */
  async *stream(request: ModelRequest, signal: AbortSignal): AsyncGenerator<ProviderEvent> {
    const last = request.messages[request.messages.length - 1];
    if (last?.role === 'tool') {
      yield* this.speak(reportToolResults(request.messages), signal);
      return;
    }
    const said = lastUserText(request.messages);
    const command = TOOL_COMMAND.exec(said.trim());
    if (command && request.tools?.some((t) => t.name === command[1])) {
      if (signal.aborted) {
        yield { type: 'finish', reason: 'aborted', text: '', toolCalls: [] };
        return;
      }
      const call: ToolCall = { id: `call_echo_${randomUUID().slice(0, 8)}`, name: command[1], arguments: command[2].trim() || '{}' };
      yield { type: 'tool_call_delta', index: 0, id: call.id, name: call.name, argumentsDelta: call.arguments };
      yield { type: 'tool_call', call };
      yield { type: 'finish', reason: 'tool_calls', text: '', toolCalls: [call] };
      return;
    }
    const body = command ? `there is no tool named "${command[1]}" on offer here.` : said || '(an empty message)';
    yield* this.speak(`${ECHO_LABEL}${body}\n\n${ECHO_HINT}`, signal);
  }

  private async *speak(text: string, signal: AbortSignal): AsyncGenerator<ProviderEvent> {
    let sent = '';
    for (const word of text.match(/\s*\S+\s*/g) ?? [text]) {
      if (signal.aborted) break;
      if (sent && this.delayMs > 0) {
        try {
          await sleep(this.delayMs, signal);
        } catch {
          break;
        }
      }
      sent += word;
      yield { type: 'text', delta: word };
    }
    yield { type: 'finish', reason: signal.aborted ? 'aborted' : 'stop', text: sent, toolCalls: [] };
  }
}

/** What the person last wrote: the text of the last untrusted block, else the raw user turn. */
function lastUserText(messages: ModelMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role !== 'user') continue;
    const blocks = parseUntrustedBlocks(m.content);
    return blocks.length > 0 ? blocks[blocks.length - 1].text : m.content;
  }
  return '';
}

function reportToolResults(messages: ModelMessage[]): string {
  const results: string[] = [];
  for (let i = messages.length - 1; i >= 0 && messages[i].role === 'tool'; i--) {
    const m = messages[i] as Extract<ModelMessage, { role: 'tool' }>;
    const content = m.content.length > MAX_ECHOED_RESULT ? `${m.content.slice(0, MAX_ECHOED_RESULT)}…` : m.content;
    results.unshift(`tool ${m.name} ${m.isError ? 'failed' : 'returned'}: ${content}`);
  }
  return `${ECHO_LABEL}${results.join('\n')}`;
}
