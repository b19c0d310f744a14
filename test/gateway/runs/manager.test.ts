// The run manager on a real SQLite store with a scripted provider: one run per session, the three
// modes, abort and /stop, waiting, re-submits (also after a restart), history order, slots.
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, silentLog } from '@switchboard/gateway';
import { ToolRegistry, parseUntrustedBlocks } from '@switchboard/gateway/agent';
import { RunManager, type RunEvent, type SubmitRequest } from '@switchboard/gateway/runs';
import { tempStore, type TempStore } from '../../helpers/store.js';
import { ScriptedProvider, gate } from '../../helpers/scripted-provider.js';

const KEY = 'agent:main:main';

let ts: TempStore | undefined;
let managers: RunManager[] = [];

afterEach(async () => {
  for (const m of managers) await m.close();
  managers = [];
  ts?.cleanup();
  ts = undefined;
});

function setup(options: { provider?: ScriptedProvider; tools?: ToolRegistry; limits?: Partial<typeof DEFAULT_LIMITS.runs> } = {}) {
  ts ??= tempStore();
  const provider = options.provider ?? new ScriptedProvider();
  const manager = new RunManager({
    store: ts.store, provider, tools: options.tools ?? new ToolRegistry(), agent: {}, log: silentLog(),
    limits: { ...DEFAULT_LIMITS.runs, ...options.limits },
  });
  managers.push(manager);
  const events: RunEvent[] = [];
  manager.subscribeAll((e) => events.push(e));
  let n = 0;
  const send = (text: string, extra: Partial<SubmitRequest> = {}) => manager.submit({ sessionKey: KEY, text, idempotencyKey: `k${++n}-${text}`, ...extra });
  return { manager, provider, events, send, store: ts.store };
}

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The texts of the untrusted blocks of the last user turn a provider request carried. */
function lastUserTexts(request: { messages: Array<{ role: string; content: string }> }): string[] {
  const user = [...request.messages].reverse().find((m) => m.role === 'user')!;
  return parseUntrustedBlocks(user.content).map((b) => b.text);
}

const ended = (events: RunEvent[], runId: string) => events.find((e) => e.runId === runId && (e.type === 'final' || e.type === 'aborted' || e.type === 'error'));

describe('run manager', () => {
  it('runs a message, streams accumulated text, persists the answer and ends once', async () => {
    const provider = new ScriptedProvider();
    provider.enqueue({ text: ['Hel', 'lo ', 'there'] });
    const { manager, events, send, store } = setup({ provider });
    const r = await send('hi');
    expect(r).toMatchObject({ status: 'started', sessionKey: KEY, messageSeq: 1 });
    if (r.status === 'stopped') throw new Error('unexpected');
    const outcome = await manager.wait(r.runId, 5_000);
    expect(outcome).toMatchObject({ status: 'final', text: 'Hello there', stopReason: 'stop' });
    const mine = events.filter((e) => e.runId === r.runId);
    expect(mine.map((e) => e.type)).toEqual(['accepted', 'started', 'delta', 'delta', 'delta', 'final']);
    expect(mine.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(mine.filter((e) => e.type === 'delta').map((e) => (e as { text: string }).text)).toEqual(['Hel', 'Hello ', 'Hello there']);
    const session = store.sessions.get(KEY)!;
    const rows = store.transcripts.page(session.sessionId, { limit: 10, maxEntryBytes: 1 << 20 }).reverse();
    expect(rows.map((e) => [e.role, e.state, e.runId])).toEqual([['user', 'final', r.runId], ['assistant', 'final', r.runId]]);
    expect(rows[1].content).toEqual([{ type: 'text', text: 'Hello there' }]);
    expect(rows[1].meta?.stopReason).toBe('stop');
    expect(store.sessions.get(KEY)!.lastRunId).toBe(r.runId);
  });

  it('uses the idempotencyKey as the run id, and answers a re-submit in_flight, then completed, never storing twice', async () => {
    const provider = new ScriptedProvider();
    const hold = gate();
    provider.enqueue({ text: ['working'], hold: hold.promise });
    const { manager, store } = setup({ provider });
    const req = { sessionKey: KEY, text: 'once', idempotencyKey: 'key-once' };
    const first = await manager.submit(req);
    expect(first).toMatchObject({ status: 'started', runId: 'key-once' });
    expect(await manager.submit(req)).toMatchObject({ status: 'in_flight', runId: 'key-once', messageSeq: 1 });
    hold.open();
    await manager.wait('key-once', 5_000);
    expect(await manager.submit(req)).toMatchObject({ status: 'completed', runId: 'key-once' });
    expect(store.transcripts.count(store.sessions.get(KEY)!.sessionId)).toBe(2);
    expect(provider.requests).toHaveLength(1);
  });

  it('interrupt (default): a message during a run aborts it; everything that waited is answered in one prompt', async () => {
    const provider = new ScriptedProvider();
    provider.enqueue({ text: ['long ', 'answer'], hold: new Promise(() => undefined) }, { text: ['merged answer'] });
    const { manager, events, send, store } = setup({ provider });
    const a = await send('first');
    await until(() => events.some((e) => e.type === 'delta' && e.runId === (a as { runId: string }).runId));
    const [b, c] = await Promise.all([send('second'), send('third')]);
    if (a.status === 'stopped' || b.status === 'stopped' || c.status === 'stopped') throw new Error('unexpected');
    expect(b.runId).toBe(c.runId);
    expect(b.status).toBe('started');
    const outA = await manager.wait(a.runId, 5_000);
    expect(outA).toMatchObject({ status: 'aborted', abortReason: 'interrupt', text: 'long answer' });
    expect(await manager.wait(b.runId, 5_000)).toMatchObject({ status: 'final', text: 'merged answer' });
    expect(provider.requests).toHaveLength(2);
    expect(lastUserTexts(provider.requests[1] as never)).toEqual(['second', 'third']);
    // The aborted answer is history for the follow-up, in conversation order.
    const roles = provider.requests[1].messages.map((m) => m.role);
    expect(roles).toEqual(['system', 'user', 'assistant', 'user']);
    const aborted = store.transcripts.runEntries(a.runId, 10).find((e) => e.role === 'assistant')!;
    expect(aborted.state).toBe('aborted');
    expect(aborted.meta?.abort?.reason).toBe('interrupt');
  });

  it('queue: messages during a run each get their own run, one after another', async () => {
    const provider = new ScriptedProvider();
    const hold = gate();
    provider.enqueue({ text: ['one'], hold: hold.promise }, { text: ['two'] }, { text: ['three'] });
    const { manager, send } = setup({ provider });
    const a = await send('a', { mode: 'queue' });
    const b = await send('b', { mode: 'queue' });
    const c = await send('c', { mode: 'queue' });
    expect([a.status, b.status, c.status]).toEqual(['started', 'queued', 'queued']);
    if (a.status === 'stopped' || b.status === 'stopped' || c.status === 'stopped') throw new Error('unexpected');
    expect(new Set([a.runId, b.runId, c.runId]).size).toBe(3);
    hold.open();
    expect(await manager.wait(c.runId, 5_000)).toMatchObject({ status: 'final', text: 'three' });
    expect(await manager.wait(a.runId, 10)).toMatchObject({ status: 'final', text: 'one' });
    expect(provider.requests.map((r) => lastUserTexts(r as never))).toEqual([['a'], ['b'], ['c']]);
    // b's history holds a's exchange, not c (still waiting then).
    expect(provider.requests[1].messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
  });

  it('collect: messages during a run gather into one follow-up; the running run is not aborted', async () => {
    const provider = new ScriptedProvider();
    const hold = gate();
    provider.enqueue({ text: ['first answer'], hold: hold.promise }, { text: ['follow-up'] });
    const { manager, send } = setup({ provider });
    const a = await send('a', { mode: 'collect' });
    const b = await send('b', { mode: 'collect' });
    const c = await send('c', { mode: 'collect' });
    if (a.status === 'stopped' || b.status === 'stopped' || c.status === 'stopped') throw new Error('unexpected');
    expect([b.status, c.status]).toEqual(['queued', 'queued']);
    expect(b.runId).toBe(c.runId);
    hold.open();
    expect(await manager.wait(a.runId, 5_000)).toMatchObject({ status: 'final', text: 'first answer' });
    expect(await manager.wait(b.runId, 5_000)).toMatchObject({ status: 'final', text: 'follow-up' });
    expect(lastUserTexts(provider.requests[1] as never)).toEqual(['b', 'c']);
  });

  it('the session mode comes from the session row', async () => {
    const provider = new ScriptedProvider();
    const hold = gate();
    provider.enqueue({ text: ['x'], hold: hold.promise });
    const { send, store } = setup({ provider });
    store.sessions.ensure(KEY, 'main', Date.now(), { queueMode: 'queue' });
    await send('a');
    const b = await send('b');
    expect(b.status).toBe('queued');
    hold.open();
  });

  it('abort stops the running run and drops the waiting ones; /stop does the same and stores nothing', async () => {
    const provider = new ScriptedProvider();
    provider.enqueue({ text: ['partial'], hold: new Promise(() => undefined) }, { text: ['never'], hold: new Promise(() => undefined) });
    const { manager, events, send, store } = setup({ provider });
    const a = await send('a', { mode: 'queue' });
    const b = await send('b', { mode: 'queue' });
    if (a.status === 'stopped' || b.status === 'stopped') throw new Error('unexpected');
    await until(() => events.some((e) => e.type === 'delta'));
    const stop = await send('  /STOP ');
    expect(stop).toEqual({ status: 'stopped', sessionKey: KEY, runIds: [a.runId, b.runId] });
    expect(await manager.wait(a.runId, 5_000)).toMatchObject({ status: 'aborted', abortReason: 'stop', text: 'partial' });
    expect(await manager.wait(b.runId, 10)).toMatchObject({ status: 'aborted', abortReason: 'stop' });
    expect(events.filter((e) => e.type === 'aborted').map((e) => e.runId).sort()).toEqual([a.runId, b.runId].sort());
    const session = store.sessions.get(KEY)!;
    const rows = store.transcripts.page(session.sessionId, { limit: 10, maxEntryBytes: 1 << 20 }).reverse();
    // a, b stored; a's partial answer aborted; b marked aborted before it ran; /stop not stored.
    expect(rows.map((e) => [e.role, e.state])).toEqual([['user', 'final'], ['assistant', 'aborted'], ['user', 'final']]);
    expect(rows[2].meta?.abort?.reason).toBe('stop');
    expect(manager.abort(KEY)).toEqual([]);
    expect(provider.requests).toHaveLength(1);
  });

  it('abort by runId refuses a run of another session', async () => {
    const provider = new ScriptedProvider({ text: ['x'], hold: new Promise(() => undefined) });
    const { manager } = setup({ provider });
    const other = await manager.submit({ sessionKey: 'agent:main:other', text: 'x', idempotencyKey: 'other-1' });
    if (other.status === 'stopped') throw new Error('unexpected');
    expect(() => manager.abort(KEY, other.runId)).toThrow(/belongs to session agent:main:other/);
    expect(manager.abort('agent:main:other', other.runId)).toEqual([other.runId]);
  });

  it('times a run out with an error outcome and an error transcript entry', async () => {
    const provider = new ScriptedProvider({ text: ['slow'], hold: new Promise(() => undefined) });
    const { manager, events, send, store } = setup({ provider });
    const r = await send('x', { timeoutMs: 100 });
    if (r.status === 'stopped') throw new Error('unexpected');
    expect(await manager.wait(r.runId, 5_000)).toMatchObject({ status: 'error', abortReason: 'timeout', error: { kind: 'timeout' } });
    expect(events.find((e) => e.runId === r.runId && e.type === 'error')).toMatchObject({ errorKind: 'timeout', text: 'slow' });
    const last = store.transcripts.runEntries(r.runId, 10).at(-1)!;
    expect([last.role, last.state, last.meta?.abort?.reason]).toEqual(['assistant', 'error', 'timeout']);
  });

  it('keeps a failed run and what it said: error outcome, error entry, error event', async () => {
    const provider = new ScriptedProvider();
    const { ProviderError } = await import('@switchboard/gateway/agent');
    provider.enqueue({ text: ['half'], error: new ProviderError('server', 'the model server failed (502)', { status: 502 }) });
    const { manager, events, send, store } = setup({ provider });
    const r = await send('x');
    if (r.status === 'stopped') throw new Error('unexpected');
    expect(await manager.wait(r.runId, 5_000)).toMatchObject({ status: 'error', text: 'half', error: { kind: 'server' } });
    expect(ended(events, r.runId)).toMatchObject({ type: 'error', errorKind: 'server', status: 502 });
    const last = store.transcripts.runEntries(r.runId, 10).at(-1)!;
    expect([last.state, last.content]).toEqual(['error', [{ type: 'text', text: 'half' }]]);
  });

  it('one run per session, sessions in parallel, at most maxConcurrentRuns at once', async () => {
    const provider = new ScriptedProvider();
    const holds = [gate(), gate(), gate()];
    provider.enqueue(...holds.map((g) => ({ text: ['x'], hold: g.promise })));
    const { manager } = setup({ provider, limits: { maxConcurrentRuns: 2 } });
    const rs = await Promise.all(['s1', 's2', 's3'].map((s) => manager.submit({ sessionKey: `agent:main:${s}`, text: s, idempotencyKey: s })));
    await until(() => manager.runningCount === 2);
    await new Promise((r) => setTimeout(r, 30));
    expect(manager.runningCount).toBe(2);
    expect(manager.get('s3')?.state).toBe('queued');
    holds[0].open();
    await until(() => manager.get('s3')?.state === 'running');
    holds[1].open();
    holds[2].open();
    for (const r of rs) if (r.status !== 'stopped') expect(await manager.wait(r.runId, 5_000)).toMatchObject({ status: 'final' });
  });

  it('refuses a message beyond maxQueuedPerSession with SESSION_QUEUE_FULL', async () => {
    const provider = new ScriptedProvider({ text: ['x'], hold: new Promise(() => undefined) });
    const { send } = setup({ provider, limits: { maxQueuedPerSession: 2 } });
    await send('a', { mode: 'queue' });
    await send('b', { mode: 'queue' });
    await send('c', { mode: 'queue' });
    await expect(send('d', { mode: 'queue' })).rejects.toMatchObject({ code: 'UNAVAILABLE', details: { code: 'SESSION_QUEUE_FULL' } });
  });

  it('refuses empty messages and cleans control characters', async () => {
    const { manager, provider, send } = setup();
    await expect(send('  \u0000 ')).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    const r = await send('a\u0007b\u0000c\nd');
    if (r.status === 'stopped') throw new Error('unexpected');
    await manager.wait(r.runId, 5_000);
    expect(lastUserTexts(provider.requests[0] as never)).toEqual(['abc\nd']);
  });

  it('delivers a session subscriber only its session, with accumulated text across tool rounds', async () => {
    const provider = new ScriptedProvider();
    const tools = new ToolRegistry();
    tools.register({ name: 'lookup', description: 'finds things', parameters: { type: 'object' }, run: () => 'found' });
    const { manager } = setup({ provider, tools });
    const mine: RunEvent[] = [];
    const unsubscribe = manager.subscribe('main', (e) => mine.push(e));
    provider.enqueue({ text: ['elsewhere'] });
    await manager.submit({ sessionKey: 'agent:main:elsewhere', text: 'x', idempotencyKey: 'elsewhere' });
    await manager.wait('elsewhere', 5_000);
    provider.enqueue({ text: ['Let me check.'], toolCalls: [{ id: 'c1', name: 'lookup', arguments: '{}' }] }, { text: ['It is ', 'found.'] });
    const r = await manager.submit({ sessionKey: KEY, text: 'look it up', idempotencyKey: 'look' });
    if (r.status === 'stopped') throw new Error('unexpected');
    await manager.wait(r.runId, 5_000);
    unsubscribe();
    expect(new Set(mine.map((e) => e.sessionKey))).toEqual(new Set([KEY]));
    expect(mine.filter((e) => e.type === 'tool').map((e) => (e as { phase: string }).phase)).toEqual(['start', 'result']);
    expect(mine.filter((e) => e.type === 'delta').map((e) => (e as { text: string }).text)).toEqual(['Let me check.', 'Let me check.\n\nIt is ', 'Let me check.\n\nIt is found.']);
    expect(mine.at(-1)).toMatchObject({ type: 'final', text: 'Let me check.\n\nIt is found.' });
  });

  it('orders history by conversation: a message stored during a tool run comes after that run', async () => {
    const provider = new ScriptedProvider();
    const tools = new ToolRegistry();
    const release = gate();
    tools.register({ name: 'slow', description: 'takes a while', parameters: { type: 'object' }, run: async () => { await release.promise; return 'done'; } });
    provider.enqueue({ toolCalls: [{ id: 'c1', name: 'slow', arguments: '{}' }] }, { text: ['tool said done'] }, { text: ['second answer'] });
    const { manager, events, send } = setup({ provider, tools });
    const a = await send('use the tool', { mode: 'queue' });
    await until(() => events.some((e) => e.type === 'tool' && e.phase === 'start'));
    const b = await send('and then this', { mode: 'queue' });
    release.open();
    if (a.status === 'stopped' || b.status === 'stopped') throw new Error('unexpected');
    await manager.wait(b.runId, 5_000);
    const roles = provider.requests[2].messages.map((m) => m.role);
    expect(roles).toEqual(['system', 'user', 'assistant', 'tool', 'assistant', 'user']);
    expect(lastUserTexts(provider.requests[2] as never)).toEqual(['and then this']);
  });

  it('re-runs a message a crash cut off when it is submitted again, with the same run id and no second copy', async () => {
    const provider = new ScriptedProvider();
    provider.enqueue({ text: ['cut '], hold: new Promise(() => undefined) });
    const first = setup({ provider });
    const req = { sessionKey: KEY, text: 'survive', idempotencyKey: 'tg:1:42', origin: { channel: 'telegram', sender: { name: 'Ann' } } };
    const r1 = await first.manager.submit(req);
    await until(() => first.events.some((e) => e.type === 'delta'));
    // kill -9: nothing ends the run; the next start repairs the store.
    managers = managers.filter((m) => m !== first.manager);
    const store = ts!.reopen();
    store.recover(Date.now());
    const provider2 = new ScriptedProvider();
    provider2.enqueue({ text: ['whole answer'] });
    const second = new RunManager({ store, provider: provider2, tools: new ToolRegistry(), agent: {}, log: silentLog(), limits: DEFAULT_LIMITS.runs });
    managers.push(second);
    const r2 = await second.submit(req);
    expect(r2).toMatchObject({ status: 'started', runId: (r1 as { runId: string }).runId, messageSeq: 1 });
    expect(await second.wait('tg:1:42', 5_000)).toMatchObject({ status: 'final', text: 'whole answer' });
    const blocks = parseUntrustedBlocks(provider2.requests[0].messages.at(-1)!.content);
    expect(blocks).toEqual([{ text: 'survive', channel: 'telegram', sender: { name: 'Ann' } }]);
    // The cut-off attempt is not history for the re-run.
    expect(provider2.requests[0].messages.map((m) => m.role)).toEqual(['system', 'user']);
    const rows = store.transcripts.runEntries('tg:1:42', 10);
    expect(rows.map((e) => [e.role, e.state])).toEqual([['user', 'final'], ['assistant', 'interrupted'], ['assistant', 'final']]);
    // Submitted once more: answered, nothing runs.
    const third = new RunManager({ store, provider: provider2, tools: new ToolRegistry(), agent: {}, log: silentLog(), limits: DEFAULT_LIMITS.runs });
    managers.push(third);
    expect(await third.submit(req)).toMatchObject({ status: 'completed', runId: 'tg:1:42' });
    expect(await third.wait('tg:1:42', 10)).toMatchObject({ status: 'final', text: 'cut \n\nwhole answer' });
    expect(provider2.requests).toHaveLength(1);
  });

  it('close() ends running runs as interrupted (re-submittable) and waiting ones without marking them', async () => {
    const provider = new ScriptedProvider({ text: ['x'], hold: new Promise(() => undefined) });
    const { manager, send, store } = setup({ provider });
    const a = await send('a', { mode: 'queue' });
    const b = await send('b', { mode: 'queue' });
    if (a.status === 'stopped' || b.status === 'stopped') throw new Error('unexpected');
    await until(() => manager.runningCount === 1);
    await manager.close();
    expect(await manager.wait(a.runId, 10)).toMatchObject({ status: 'aborted', abortReason: 'shutdown' });
    const entries = store.transcripts.runEntries(a.runId, 10);
    expect(entries.map((e) => e.state)).toEqual(['final', 'interrupted']);
    expect(store.transcripts.runEntries(b.runId, 10)[0].meta?.abort).toBeUndefined();
    await expect(send('c')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('answers UNKNOWN_RUN_ID for a run it does not know, and a timeout as undefined', async () => {
    const provider = new ScriptedProvider({ text: ['x'], hold: new Promise(() => undefined) });
    const { manager, send } = setup({ provider });
    await expect(manager.wait('nope', 10)).rejects.toMatchObject({ details: { code: 'UNKNOWN_RUN_ID' } });
    const r = await send('a');
    if (r.status === 'stopped') throw new Error('unexpected');
    expect(await manager.wait(r.runId, 20)).toBeUndefined();
  });
});
