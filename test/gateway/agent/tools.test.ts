// The tool registry: registration rules, definitions, argument validation, timeouts, aborts,
// failures and bounded results. Every outcome is a value; execute() never throws.
import { describe, expect, it } from 'vitest';
import { ToolRegistry, truncateUtf8, type Tool } from '../../../gateway/src/agent/tools.js';

const add: Tool<{ a: number; b: number }> = {
  name: 'add',
  description: 'Adds two numbers',
  parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'], additionalProperties: false },
  run: ({ a, b }) => ({ sum: a + b }),
};
const call = (name: string, args: unknown, id = 'c1') => ({ id, name, arguments: typeof args === 'string' ? args : JSON.stringify(args) });
const live = () => ({ signal: new AbortController().signal });

describe('ToolRegistry', () => {
  it('lists registered tools as provider definitions and runs one with valid arguments', async () => {
    const reg = new ToolRegistry();
    reg.register(add);
    expect(reg.definitions()).toEqual([{ name: 'add', description: 'Adds two numbers', parameters: add.parameters }]);
    const out = await reg.execute(call('add', { a: 2, b: 3 }), live());
    expect(out).toMatchObject({ ok: true, content: '{"sum":5}', result: { sum: 5 }, truncated: false });
  });

  it('passes a string result through as is', async () => {
    const reg = new ToolRegistry();
    reg.register({ name: 'say', description: 'x', parameters: { type: 'object' }, run: () => 'plain words' });
    expect((await reg.execute(call('say', {}), live())).content).toBe('plain words');
  });

  it('refuses bad names, duplicates, non-object schemas and schemas that do not compile', () => {
    const reg = new ToolRegistry();
    reg.register(add);
    expect(() => reg.register(add)).toThrow(/already registered/);
    expect(() => reg.register({ ...add, name: 'has space' })).toThrow(/tool name "has space" is invalid/);
    expect(() => reg.register({ ...add, name: 'arr', parameters: { type: 'array' } })).toThrow(/type "object"/);
    expect(() => reg.register({ ...add, name: 'broken', parameters: { type: 'object', properties: { a: { type: 'no-such-type' } } } })).toThrow(/tool "broken": the parameters schema does not compile/);
  });

  it('unregisters by name or with the function register returned', () => {
    const reg = new ToolRegistry();
    const off = reg.register(add);
    off();
    expect(reg.has('add')).toBe(false);
    reg.register(add);
    expect(reg.unregister('add')).toBe(true);
    expect(reg.unregister('add')).toBe(false);
  });

  it('answers an unknown tool, bad JSON and schema violations with an error outcome, without running', async () => {
    let ran = 0;
    const reg = new ToolRegistry();
    reg.register({ ...add, run: (args: { a: number; b: number }) => { ran++; return add.run(args, undefined as never); } });
    const unknown = await reg.execute(call('nope', {}), live());
    expect(unknown).toMatchObject({ ok: false, error: { code: 'unknown_tool' } });
    expect(unknown.content).toMatch(/^error: there is no tool named "nope"; the tools on offer are: add/);
    expect((await reg.execute(call('add', '{"a": 1,'), live())).error).toMatchObject({ code: 'invalid_arguments', message: expect.stringMatching(/not valid JSON/) });
    const bad = await reg.execute(call('add', { a: 1, b: 'two', c: 3 }), live());
    expect(bad.error?.code).toBe('invalid_arguments');
    expect(bad.content).toMatch(/at \/b: must be number/);
    expect(bad.content).toMatch(/unexpected property 'c'/);
    expect(ran).toBe(0);
  });

  it('turns a thrown error into a failed outcome with its message', async () => {
    const reg = new ToolRegistry();
    reg.register({ name: 'boom', description: 'x', parameters: { type: 'object' }, run: async () => { throw new Error('disk full'); } });
    expect(await reg.execute(call('boom', {}), live())).toMatchObject({ ok: false, error: { code: 'failed' }, content: 'error: tool "boom" failed: disk full' });
  });

  it('times out a tool that runs too long, even one that ignores its signal', async () => {
    const reg = new ToolRegistry({ defaultTimeoutMs: 5_000 });
    let signalled = false;
    reg.register({
      name: 'stuck', description: 'x', parameters: { type: 'object' }, timeoutMs: 80,
      run: (_a, ctx) => new Promise(() => { ctx.signal.addEventListener('abort', () => { signalled = true; }); }),
    });
    const started = Date.now();
    const out = await reg.execute(call('stuck', {}), live());
    expect(out).toMatchObject({ ok: false, error: { code: 'timeout', message: 'tool "stuck" did not finish within 80 ms' } });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(signalled).toBe(true);
  });

  it('returns interrupted when the caller aborts mid-run, or before it starts', async () => {
    const reg = new ToolRegistry();
    reg.register({ name: 'wait', description: 'x', parameters: { type: 'object' }, run: (_a, ctx) => new Promise((r) => setTimeout(r, 10_000, ctx.callId)) });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const out = await reg.execute(call('wait', {}), { signal: controller.signal });
    expect(out).toMatchObject({ ok: false, error: { code: 'interrupted' }, content: 'interrupted: the run was aborted while this tool was running' });
    expect((await reg.execute(call('wait', {}), { signal: AbortSignal.abort() })).error?.code).toBe('interrupted');
  });

  it('bounds the result visibly, in UTF-8 bytes, and bounds progress updates', async () => {
    const reg = new ToolRegistry({ maxResultBytes: 100 });
    const updates: unknown[] = [];
    reg.register({
      name: 'big', description: 'x', parameters: { type: 'object' },
      run: (_a, ctx) => {
        ctx.update({ step: 1 });
        ctx.update('é'.repeat(500));
        return 'é'.repeat(1_000);
      },
    });
    const out = await reg.execute(call('big', {}), { signal: new AbortController().signal, onUpdate: (u) => updates.push(u) });
    expect(out.ok).toBe(true);
    expect(out.truncated).toBe(true);
    expect(out.content).toMatch(/^é+\n…\[truncated: the result was 2000 bytes, only the first 100 are shown\]$/);
    expect(Buffer.byteLength(out.content.split('\n')[0])).toBeLessThanOrEqual(100);
    expect(out.result).toBe(out.content);
    expect(updates[0]).toEqual({ step: 1 });
    expect(String(updates[1])).toMatch(/truncated/);
  });

  it('reports a result that is not JSON-serialisable', async () => {
    const reg = new ToolRegistry();
    reg.register({ name: 'cyc', description: 'x', parameters: { type: 'object' }, run: () => { const o: Record<string, unknown> = {}; o.self = o; return o; } });
    expect((await reg.execute(call('cyc', {}), live())).error?.code).toBe('bad_result');
  });
});

describe('truncateUtf8', () => {
  it('keeps short text and never splits a character', () => {
    expect(truncateUtf8('short', 10)).toEqual({ text: 'short', truncated: false, bytes: 5 });
    const cut = truncateUtf8('✓✓✓✓', 5);
    expect(cut.text.startsWith('✓\n…[truncated')).toBe(true);
  });
});
