/**
 * Turns OpenAI Chat Completions chunks (`chat.completion.chunk`, streamed) or one whole
 * `chat.completion` (servers that ignore `stream: true`) into provider events.
 *
 * Tool calls arrive as `delta.tool_calls[]` pieces keyed by `index`: the first piece of a call
 * carries `id` and `function.name`, later pieces append to `function.arguments`. Some servers send
 * each call whole in one piece, some omit `index` (then `id`, else order, identifies the call);
 * all of these accumulate the same way. Calls are announced complete when the model finishes.
 */
import { randomUUID } from 'node:crypto';
import { ProviderError, type ProviderEvent, type StopReason, type ToolCall, type Usage } from '../provider.js';

interface PartialCall {
  index: number;
  id?: string;
  name?: string;
  arguments: string;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Bound of the accumulated tool-call arguments of one turn (characters). */
const MAX_TOOL_ARGUMENT_CHARS = 1024 * 1024;

/** Accumulates one model turn. */
export class CompletionAccumulator {
  /** Text received so far. */
  text = '';
  private readonly calls = new Map<number, PartialCall>();
  private finishReason: string | null = null;
  private argumentChars = 0;
  /** Whether the model produced anything a user could see (text or a tool call piece). */
  hasOutput = false;
  /** Whether the server said the turn is over (`finish_reason` or `[DONE]`). */
  finished = false;

  /** Handles one parsed streamed chunk. Throws {@link ProviderError} for an error object or a malformed chunk. */
  pushChunk(chunk: unknown): ProviderEvent[] {
    if (!isObject(chunk)) throw malformed('a stream chunk was not a JSON object');
    if (chunk.error !== undefined) throw errorInStream(chunk.error);
    const out: ProviderEvent[] = [];
    const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
    const choice = choices.find((c) => isObject(c) && (c.index === undefined || c.index === 0));
    if (isObject(choice)) {
      const delta = isObject(choice.delta) ? choice.delta : {};
      if (typeof delta.content === 'string' && delta.content.length > 0) {
        this.text += delta.content;
        this.hasOutput = true;
        out.push({ type: 'text', delta: delta.content });
      }
      if (Array.isArray(delta.tool_calls)) {
        for (const piece of delta.tool_calls) out.push(this.toolPiece(piece));
      }
      if (typeof choice.finish_reason === 'string') this.finishReason = choice.finish_reason;
    }
    const usage = readUsage(chunk.usage);
    if (usage) out.push({ type: 'usage', usage });
    return out;
  }

  /** Handles a whole non-streamed `chat.completion` body. */
  pushCompletion(body: unknown): ProviderEvent[] {
    if (!isObject(body)) throw malformed('the response was not a JSON object');
    if (body.error !== undefined) throw errorInStream(body.error);
    const choice = Array.isArray(body.choices) ? body.choices[0] : undefined;
    if (!isObject(choice) || !isObject(choice.message)) throw malformed('the response had no choices[0].message');
    const { message } = choice;
    const toolCalls = Array.isArray(message.tool_calls)
      ? message.tool_calls.map((c, index) => (isObject(c) ? { ...c, index } : c))
      : undefined;
    const out = this.pushChunk({
      choices: [{ index: 0, delta: { content: message.content, tool_calls: toolCalls }, finish_reason: choice.finish_reason ?? 'stop' }],
      usage: body.usage,
    });
    this.finished = true;
    return out;
  }

  /** Marks the turn over (the `[DONE]` sentinel). */
  done(): void {
    this.finished = true;
  }

  /** Whether a `finish_reason` arrived (a clean end even without `[DONE]`). */
  get sawFinishReason(): boolean {
    return this.finishReason !== null;
  }

  /**
   * The closing events: one `tool_call` per complete call (by index), then `finish`. A turn cut
   * off by `length` drops its tool calls, since their arguments may be truncated.
   */
  finish(): ProviderEvent[] {
    const reason = this.stopReason();
    const toolCalls = reason === 'tool_calls' ? this.completeCalls() : [];
    return [
      ...toolCalls.map((call): ProviderEvent => ({ type: 'tool_call', call })),
      { type: 'finish', reason, text: this.text, toolCalls },
    ];
  }

  /** Tool calls that are whole enough to run (they have a name), in index order. */
  completeCalls(): ToolCall[] {
    return [...this.calls.values()]
      .sort((a, b) => a.index - b.index)
      .filter((c) => c.name)
      .map((c) => ({ id: c.id ?? `call_${randomUUID()}`, name: c.name!, arguments: c.arguments || '{}' }));
  }

  private stopReason(): StopReason {
    if (this.finishReason === 'length') return 'length';
    // Some servers (older Ollama) say `stop` while returning tool calls: the calls decide.
    if (this.calls.size > 0 && [...this.calls.values()].some((c) => c.name)) return 'tool_calls';
    return 'stop';
  }

  private toolPiece(piece: unknown): ProviderEvent {
    if (!isObject(piece)) throw malformed('a tool_calls entry was not an object');
    const fn = isObject(piece.function) ? piece.function : {};
    const id = typeof piece.id === 'string' && piece.id ? piece.id : undefined;
    let index = typeof piece.index === 'number' ? piece.index : undefined;
    if (index === undefined) {
      const known = id ? [...this.calls.values()].find((c) => c.id === id) : undefined;
      index = known?.index ?? (id ? this.calls.size : Math.max(0, this.calls.size - 1));
    }
    let call = this.calls.get(index);
    if (!call) {
      call = { index, arguments: '' };
      this.calls.set(index, call);
    }
    if (id && !call.id) call.id = id;
    const name = typeof fn.name === 'string' && fn.name ? fn.name : undefined;
    if (name && !call.name) call.name = name;
    const args = typeof fn.arguments === 'string' ? fn.arguments : isObject(fn.arguments) ? JSON.stringify(fn.arguments) : '';
    call.arguments += args;
    this.argumentChars += args.length;
    if (this.argumentChars > MAX_TOOL_ARGUMENT_CHARS) throw malformed(`tool call arguments exceeded ${MAX_TOOL_ARGUMENT_CHARS} characters`);
    this.hasOutput = true;
    const event: ProviderEvent = { type: 'tool_call_delta', index, argumentsDelta: args };
    if (id) event.id = id;
    if (name) event.name = name;
    return event;
  }
}

function readUsage(u: unknown): Usage | undefined {
  if (!isObject(u)) return undefined;
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const promptTokens = n(u.prompt_tokens);
  const completionTokens = n(u.completion_tokens);
  return { promptTokens, completionTokens, totalTokens: n(u.total_tokens) || promptTokens + completionTokens };
}

function malformed(what: string): ProviderError {
  return new ProviderError('bad_response', `the model server sent a malformed response (${what}): check that agent.baseUrl points at an OpenAI-compatible Chat Completions API`);
}

/** An `error` object inside a 200 stream (OpenRouter and some proxies report upstream failures this way). */
function errorInStream(error: unknown): ProviderError {
  const e = isObject(error) ? error : { message: String(error) };
  const message = typeof e.message === 'string' ? e.message.slice(0, 300) : 'no message';
  const code = typeof e.code === 'number' ? e.code : Number(e.code);
  if (code === 429) return new ProviderError('rate_limit', `the model server reported a rate limit mid-stream (${message}): wait and try again`, { status: 429 });
  if (/context.length|maximum context|too many tokens/i.test(message)) {
    return new ProviderError('context_length', `the conversation is too long for the model (${message}): reset the session or use a model with a larger context window`);
  }
  return new ProviderError('server', `the model server reported an error in the stream (${message}): try again, or check the server's logs`, Number.isInteger(code) && code >= 400 && code <= 599 ? { status: code } : {});
}

/** Parses one data field as JSON; anything else is a bad_response. */
export function parseChunk(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    throw new ProviderError('bad_response', `the model server sent data that is not JSON ("${data.slice(0, 60).replace(/[\u0000-\u001f]/g, ' ')}"); check agent.baseUrl points at an OpenAI-compatible API`);
  }
}
