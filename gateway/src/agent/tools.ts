/**
 * The tool registry: tools the agent may call through the provider's tool calling.
 *
 * A tool has a name, a description, a JSON Schema of its arguments object, an optional timeout,
 * and `run(args, ctx)`. {@link ToolRegistry.execute} never throws: it parses the model's argument
 * JSON, validates it with ajv (compiled once, at registration), runs the tool under its timeout
 * and the caller's signal, and returns a {@link ToolOutcome} whose `content` (what the model reads
 * back) is bounded in bytes and visibly marked when truncated.
 */
import { createAjv, formatValidationErrors, type ValidateFunction } from '@switchboard/protocol/validators';
import { silentLog, type Log } from '../log.js';
import type { ToolCall, ToolDefinition } from './provider.js';

/** Which run a tool call belongs to (filled by the run manager; absent for a bare agent loop). */
export interface ToolRunInfo {
  /** The run's id. */
  runId?: string;
  /** The chat session the run answers (e.g. `telegram:dm:42`); approvals record it so `/approve` typed there finds them. */
  sessionKey?: string;
}

/** What a running tool gets besides its arguments. */
export interface ToolContext extends ToolRunInfo {
  /** Fires when the run is aborted or the tool's timeout passes: stop and return. */
  signal: AbortSignal;
  /** The model's id for this call. */
  callId: string;
  /** Reports progress (becomes a tool `update` event); the value must be JSON-serialisable. */
  update(partial: unknown): void;
}

/** A tool. `run` returns a JSON-serialisable result (a string is passed to the model as is). */
export interface Tool<Args = Record<string, unknown>> {
  name: string;
  description: string;
  /** JSON Schema of the arguments; must be `type: "object"`. */
  parameters: Record<string, unknown>;
  /** Overrides the registry's default timeout (ms). */
  timeoutMs?: number;
  run(args: Args, ctx: ToolContext): Promise<unknown> | unknown;
}

/** Options of {@link ToolRegistry.execute}. */
export interface ToolExecuteOptions {
  signal: AbortSignal;
  /** Receives bounded progress values. */
  onUpdate?: (partial: unknown) => void;
  /** The run the call belongs to, passed on to the tool. */
  run?: ToolRunInfo;
}

function runInfo(run: ToolRunInfo | undefined): ToolRunInfo {
  return { ...(run?.runId ? { runId: run.runId } : {}), ...(run?.sessionKey ? { sessionKey: run.sessionKey } : {}) };
}

/** Why a tool call did not produce a result. */
export type ToolErrorCode = 'unknown_tool' | 'invalid_arguments' | 'failed' | 'timeout' | 'interrupted' | 'bad_result';

/** The end of one tool call. */
export interface ToolOutcome {
  ok: boolean;
  /** What the model reads back: the result (JSON, or the string itself), or `error: ...`. Bounded. */
  content: string;
  /** The result value, when ok and not truncated (for display). */
  result?: unknown;
  error?: { code: ToolErrorCode; message: string };
  truncated: boolean;
  durationMs: number;
}

/** Options of {@link ToolRegistry}. */
export interface ToolRegistryOptions {
  /** Timeout of a tool that names none (ms). Default 60 000. */
  defaultTimeoutMs?: number;
  /** Largest `content` handed back to the model (UTF-8 bytes). Default 32 KiB. */
  maxResultBytes?: number;
  log?: Log;
}

interface Entry {
  tool: Tool<never>;
  validate: ValidateFunction;
}

const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Cuts `text` to at most `maxBytes` UTF-8 bytes, saying so at the end. */
export function truncateUtf8(text: string, maxBytes: number): { text: string; truncated: boolean; bytes: number } {
  const bytes = Buffer.byteLength(text);
  if (bytes <= maxBytes) return { text, truncated: false, bytes };
  const head = Buffer.from(text).subarray(0, maxBytes).toString('utf8').replace(/\uFFFD+$/, '');
  return { text: `${head}\n…[truncated: the result was ${bytes} bytes, only the first ${maxBytes} are shown]`, truncated: true, bytes };
}

/** The registry. One per gateway; node commands join it later. */
export class ToolRegistry {
  private readonly tools = new Map<string, Entry>();
  private readonly ajv = createAjv();
  private readonly defaultTimeoutMs: number;
  /** Largest `content` handed back to the model (bytes). */
  readonly maxResultBytes: number;
  private readonly log: Log;

  constructor(options: ToolRegistryOptions = {}) {
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 60_000;
    this.maxResultBytes = options.maxResultBytes ?? 32 * 1024;
    this.log = (options.log ?? silentLog()).child({ ns: 'agent:tools' });
  }

  /**
   * Adds a tool; returns a function that removes it. Throws on a bad name, a duplicate, or a
   * parameters schema that is not an object schema or does not compile (naming the tool).
   */
  register<Args>(tool: Tool<Args>): () => void {
    if (!TOOL_NAME.test(tool.name)) {
      throw new Error(`tool name "${tool.name}" is invalid: use 1-64 letters, digits, "_" or "-"`);
    }
    if (this.tools.has(tool.name)) throw new Error(`tool "${tool.name}" is already registered: unregister it first or pick another name`);
    if (tool.parameters.type !== 'object') throw new Error(`tool "${tool.name}": parameters must be a JSON Schema with type "object"`);
    let validate: ValidateFunction;
    try {
      validate = this.ajv.compile(tool.parameters);
    } catch (error) {
      throw new Error(`tool "${tool.name}": the parameters schema does not compile: ${error instanceof Error ? error.message : String(error)}`);
    }
    const entry: Entry = { tool: tool as Tool<never>, validate };
    this.tools.set(tool.name, entry);
    return () => {
      if (this.tools.get(tool.name) === entry) this.tools.delete(tool.name);
    };
  }

  /** Removes a tool by name; returns whether it was there. */
  unregister(name: string): boolean {
    return this.tools.delete(name);
  }

  /** Whether a tool of that name is registered. */
  has(name: string): boolean {
    return this.tools.has(name);
  }

  /** The tools as provider tool definitions, in registration order. */
  definitions(): ToolDefinition[] {
    return [...this.tools.values()].map(({ tool }) => ({ name: tool.name, description: tool.description, parameters: tool.parameters }));
  }

  /** Runs one call. Never throws; see {@link ToolOutcome}. `onUpdate` receives bounded progress values. */
  async execute(call: ToolCall, options: ToolExecuteOptions): Promise<ToolOutcome> {
    const started = Date.now();
    const fail = (code: ToolErrorCode, message: string): ToolOutcome => ({
      ok: false, content: truncateUtf8(code === 'interrupted' ? message : `error: ${message}`, this.maxResultBytes).text, error: { code, message }, truncated: false, durationMs: Date.now() - started,
    });
    const entry = this.tools.get(call.name);
    if (!entry) return fail('unknown_tool', `there is no tool named "${call.name}"; the tools on offer are: ${[...this.tools.keys()].join(', ') || 'none'}`);
    let args: unknown;
    try {
      args = JSON.parse(call.arguments || '{}');
    } catch {
      return fail('invalid_arguments', `the arguments of "${call.name}" are not valid JSON; send a JSON object matching its parameters schema`);
    }
    if (!entry.validate(args)) {
      return fail('invalid_arguments', `the arguments of "${call.name}" do not match its schema (${formatValidationErrors(entry.validate.errors)}); fix them and call again`);
    }
    if (options.signal.aborted) return fail('interrupted', 'interrupted: the run was aborted before this tool ran');
    const value = await this.run(entry.tool, args as never, call.id, options);
    if ('error' in value) return fail(value.error.code, value.error.message);
    let content: string;
    try {
      content = typeof value.result === 'string' ? value.result : JSON.stringify(value.result ?? null);
    } catch (error) {
      return fail('bad_result', `tool "${call.name}" returned a value that is not JSON-serialisable (${error instanceof Error ? error.message : String(error)})`);
    }
    const bounded = truncateUtf8(content, this.maxResultBytes);
    const outcome: ToolOutcome = { ok: true, content: bounded.text, truncated: bounded.truncated, durationMs: Date.now() - started };
    outcome.result = bounded.truncated ? bounded.text : value.result;
    return outcome;
  }

  /** Runs the tool under its timeout and the caller's signal; a tool that ignores its signal is left behind, not awaited. */
  private run(tool: Tool<never>, args: never, callId: string, options: ToolExecuteOptions): Promise<{ result: unknown } | { error: { code: ToolErrorCode; message: string } }> {
    const timeoutMs = tool.timeoutMs ?? this.defaultTimeoutMs;
    const timeout = new AbortController();
    const signal = AbortSignal.any([options.signal, timeout.signal]);
    return new Promise((resolve) => {
      let settled = false;
      const settle = (v: { result: unknown } | { error: { code: ToolErrorCode; message: string } }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      };
      const onAbort = () => settle(options.signal.aborted
        ? { error: { code: 'interrupted', message: 'interrupted: the run was aborted while this tool was running' } }
        : { error: { code: 'timeout', message: `tool "${tool.name}" did not finish within ${timeoutMs} ms` } });
      const timer = setTimeout(() => timeout.abort(), timeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      const update = (partial: unknown) => {
        if (!settled) options.onUpdate?.(this.boundUpdate(partial));
      };
      Promise.resolve()
        .then(() => tool.run(args, { signal, callId, update, ...runInfo(options.run) }))
        .then(
          (result) => settle({ result }),
          (error: unknown) => {
            const message = error instanceof Error ? error.message : String(error);
            this.log.debug({ tool: tool.name, err: error }, 'tool failed');
            settle({ error: { code: 'failed', message: `tool "${tool.name}" failed: ${message.slice(0, 1000)}` } });
          },
        );
    });
  }

  private boundUpdate(partial: unknown): unknown {
    let text: string;
    try {
      text = JSON.stringify(partial ?? null);
    } catch {
      return '[an update that is not JSON-serialisable was dropped]';
    }
    return Buffer.byteLength(text) <= this.maxResultBytes ? partial : truncateUtf8(text, this.maxResultBytes).text;
  }
}
