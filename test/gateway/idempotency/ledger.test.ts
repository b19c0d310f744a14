// The idempotency ledger as a unit: the invoker called directly with a real store and a handler,
// no server. Covers joining, replay, failure rules, restarts, two-answer methods, expiry and the cap.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Type } from '@sinclair/typebox';
import { GatewayError, type MethodSpec } from '@switchboard/protocol';
import { IdempotencyLedger, silentLog, type MethodContext, type LedgerOptions } from '@switchboard/gateway';
import { tempStore, type TempStore } from '../../helpers/store.js';

const oneAnswer = { sideEffect: true } as MethodSpec;
const twoAnswers = { sideEffect: true, final: Type.Any() } as unknown as MethodSpec;

let t: TempStore;
let clock: number;
let ledgers: IdempotencyLedger[];
beforeEach(() => { t = tempStore(); clock = 1_000_000; ledgers = []; });
afterEach(() => { ledgers.forEach((l) => l.close()); t.cleanup(); });

function ledger(options: Partial<LedgerOptions> = {}): IdempotencyLedger {
  const l = new IdempotencyLedger(t.store, { ttlMs: 60_000, maxEntries: 1000, sweepIntervalMs: 3_600_000, log: silentLog(), now: () => clock, policies: {}, ...options });
  l.start();
  ledgers.push(l);
  return l;
}

function ctx(overrides: Partial<MethodContext> = {}, deviceId?: string): MethodContext & { finals: unknown[] } {
  const finals: unknown[] = [];
  return {
    caller: { connId: 'c', role: 'operator', scopes: [], client: {} as never, caps: [], authMethod: deviceId ? 'device-token' : 'token', peer: {} as never, ...(deviceId ? { deviceId } : {}) },
    services: { store: t.store } as never,
    log: silentLog(),
    signal: new AbortController().signal,
    requestId: 'r',
    method: 'chat.inject',
    emit: (() => 0) as never,
    sendFinal: (p: unknown) => { finals.push(p); },
    commit: (effect) => t.store.commit(effect),
    finals,
    ...overrides,
  } as MethodContext & { finals: unknown[] };
}

const call = (l: IdempotencyLedger, c: MethodContext, params: Record<string, unknown>, handler: (c: MethodContext) => unknown, spec = oneAnswer) =>
  l.invoker(c, spec, params, handler) as Promise<unknown>;

describe('idempotency ledger', () => {
  it('runs a side effect once; a retry gets the recorded answer, also after a restart', async () => {
    const l = ledger();
    const effect = vi.fn(() => ({ n: Math.random() }));
    const first = await call(l, ctx(), { idempotencyKey: 'k', x: 1 }, effect);
    expect(await call(l, ctx(), { x: 1, idempotencyKey: 'k' }, effect)).toEqual(first);
    l.close();
    t.reopen();
    const after = ledger();
    expect(await call(after, ctx(), { idempotencyKey: 'k', x: 1 }, effect)).toEqual(first);
    expect(effect).toHaveBeenCalledTimes(1);
  });

  it('records the request as accepted, durably, before the handler runs', async () => {
    const l = ledger();
    let seen: unknown;
    await call(l, ctx(), { idempotencyKey: 'k' }, () => {
      seen = t.store.idempotency.get({ scope: 'operator|shared:token', method: 'chat.inject', key: 'k' });
      return 1;
    });
    expect(seen).toMatchObject({ state: 'accepted', bootId: l.bootId });
  });

  it('lets concurrent duplicates join the running request', async () => {
    const l = ledger();
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const effect = vi.fn(async () => { await gate; return 'done'; });
    const a = call(l, ctx(), { idempotencyKey: 'k' }, effect);
    await new Promise((r) => setTimeout(r, 20));
    const b = call(l, ctx(), { idempotencyKey: 'k' }, effect);
    release();
    expect(await Promise.all([a, b])).toEqual(['done', 'done']);
    expect(effect).toHaveBeenCalledTimes(1);
  });

  it('answers an in-flight retry immediately when the method has an in-flight policy', async () => {
    const l = ledger({ policies: { 'chat.inject': { inFlight: (p) => ({ runId: p.idempotencyKey, status: 'in_flight' }) } } });
    let release!: () => void;
    const a = call(l, ctx(), { idempotencyKey: 'k' }, () => new Promise((r) => { release = () => r({ runId: 'k', status: 'ok' }); }));
    await new Promise((r) => setTimeout(r, 20));
    expect(await call(l, ctx(), { idempotencyKey: 'k' }, () => 'never')).toEqual({ runId: 'k', status: 'in_flight' });
    release();
    expect(await a).toEqual({ runId: 'k', status: 'ok' });
  });

  it('scopes keys per principal: another device cannot read the answer', async () => {
    const l = ledger();
    await call(l, ctx({}, 'device-a'), { idempotencyKey: 'k' }, () => 'secret of a');
    expect(await call(l, ctx({}, 'device-b'), { idempotencyKey: 'k' }, () => 'b runs its own')).toBe('b runs its own');
    expect(await call(l, ctx(), { idempotencyKey: 'k' }, () => 'token holder runs its own')).toBe('token holder runs its own');
  });

  it('refuses a key reused with different params', async () => {
    const l = ledger();
    await call(l, ctx(), { idempotencyKey: 'k', message: 'a' }, () => 1);
    const err = await call(l, ctx(), { idempotencyKey: 'k', message: 'b' }, () => 2).catch((e) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.details).toEqual({ code: 'IDEMPOTENCY_KEY_REUSED' });
  });

  it('records non-retryable errors and replays them; releases the key on retryable ones', async () => {
    const l = ledger();
    const bad = vi.fn(() => { throw new GatewayError('INVALID_REQUEST', 'no such session'); });
    await expect(call(l, ctx(), { idempotencyKey: 'a' }, bad)).rejects.toThrow('no such session');
    await expect(call(l, ctx(), { idempotencyKey: 'a' }, bad)).rejects.toThrow('no such session');
    expect(bad).toHaveBeenCalledTimes(1);
    let attempts = 0;
    const flaky = () => { if (++attempts === 1) throw new GatewayError('UNAVAILABLE', 'node offline'); return 'ok'; };
    await expect(call(l, ctx(), { idempotencyKey: 'b' }, flaky)).rejects.toThrow('node offline');
    expect(await call(l, ctx(), { idempotencyKey: 'b' }, flaky)).toBe('ok');
  });

  it('turns an unexpected throw into a recorded INTERNAL_ERROR with a reference', async () => {
    const l = ledger();
    const err = await call(l, ctx(), { idempotencyKey: 'k' }, () => { throw new TypeError('bug'); }).catch((e) => e);
    expect(err).toMatchObject({ code: 'INTERNAL_ERROR' });
    expect(err.message).not.toContain('bug');
    await expect(call(l, ctx(), { idempotencyKey: 'k' }, () => 'x')).rejects.toMatchObject({ code: 'INTERNAL_ERROR' });
  });

  it('commits the handler effect and its recorded answer in one transaction', async () => {
    const l = ledger();
    const s = t.store.sessions.ensure('agent:main:main', 'main', 1);
    const result = await call(l, ctx(), { idempotencyKey: 'k' }, (c) => c.commit(() => {
      const e = t.store.transcripts.append(s.sessionId, { role: 'assistant', content: ['note'], idempotencyKey: 'k' }, 2);
      return { messageId: e.id };
    }));
    const entry = t.store.idempotency.get({ scope: 'operator|shared:token', method: 'chat.inject', key: 'k' });
    expect(entry).toMatchObject({ state: 'completed', result });
    // A failing effect rolls back the append and records nothing as answered.
    await expect(call(l, ctx(), { idempotencyKey: 'k2' }, (c) => c.commit(() => {
      t.store.transcripts.append(s.sessionId, { role: 'assistant', content: ['half'] }, 3);
      throw new GatewayError('INVALID_REQUEST', 'refused');
    }))).rejects.toThrow('refused');
    expect(t.store.transcripts.count(s.sessionId)).toBe(1);
  });

  it('after a restart cut a request off: reruns it when its effect is atomic, else says the outcome is unknown', async () => {
    const l = ledger();
    const hang = () => new Promise(() => {});
    void call(l, ctx(), { idempotencyKey: 'atomic' }, hang);
    void call(l, ctx({ method: 'send' as never }), { idempotencyKey: 'external' }, hang);
    await new Promise((r) => setTimeout(r, 30));
    l.close();
    t.reopen(); // kill -9: the handlers never finished
    const next = ledger({ policies: { 'chat.inject': { interrupted: 'rerun' } } });
    expect(await call(next, ctx(), { idempotencyKey: 'atomic' }, () => 'ran again')).toBe('ran again');
    expect(await call(next, ctx(), { idempotencyKey: 'atomic' }, () => 'not again')).toBe('ran again');
    const err = await call(next, ctx({ method: 'send' as never }), { idempotencyKey: 'external' }, () => 'must not run').catch((e) => e);
    expect(err).toMatchObject({ code: 'UNAVAILABLE', retryable: false, details: { code: 'IDEMPOTENCY_OUTCOME_UNKNOWN' } });
  });

  it('keeps the ack of a two-answer method, records the final, and gives both to a retry', async () => {
    const l = ledger({ policies: {} });
    const original = ctx({ method: 'agent' as never });
    let finish!: () => void;
    const ack = await call(l, original, { idempotencyKey: 'run1' }, (c) => {
      finish = () => c.sendFinal({ runId: 'run1', status: 'ok' } as never);
      return c.commit(() => ({ runId: 'run1', status: 'accepted' }));
    }, twoAnswers);
    expect(ack).toEqual({ runId: 'run1', status: 'accepted' });
    const joined = ctx({ method: 'agent' as never });
    expect(await call(l, joined, { idempotencyKey: 'run1' }, () => 'never', twoAnswers)).toEqual(ack);
    finish();
    await vi.waitFor(() => expect(joined.finals).toEqual([{ runId: 'run1', status: 'ok' }]));
    expect(original.finals).toEqual([{ runId: 'run1', status: 'ok' }]);
    const late = ctx({ method: 'agent' as never });
    expect(await call(l, late, { idempotencyKey: 'run1' }, () => 'never', twoAnswers)).toEqual(ack);
    await vi.waitFor(() => expect(late.finals).toEqual([{ runId: 'run1', status: 'ok' }]));
  });

  it('expires finished entries after the TTL, never running ones', async () => {
    const l = ledger();
    await call(l, ctx(), { idempotencyKey: 'done' }, () => 1);
    void call(l, ctx(), { idempotencyKey: 'running' }, () => new Promise(() => {}));
    await new Promise((r) => setTimeout(r, 20));
    clock += 60_001;
    expect(l.sweep()).toBe(1);
    expect(t.store.idempotency.get({ scope: 'operator|shared:token', method: 'chat.inject', key: 'running' })).toMatchObject({ state: 'accepted' });
    expect(await call(l, ctx(), { idempotencyKey: 'done' }, () => 2)).toBe(2);
  });

  it('stays within maxEntries by dropping the oldest finished entries, and refuses when all are running', async () => {
    const l = ledger({ maxEntries: 3 });
    for (const k of ['a', 'b', 'c', 'd']) { clock++; await call(l, ctx(), { idempotencyKey: k }, () => k); }
    expect(t.store.idempotency.count()).toBe(3);
    expect(t.store.idempotency.get({ scope: 'operator|shared:token', method: 'chat.inject', key: 'a' })).toBeUndefined();
    const full = ledger({ maxEntries: 1 });
    t.store.transaction(() => { /* leave only running entries */ t.store.idempotency.sweep(Number.MAX_SAFE_INTEGER, 100); });
    full.sweep();
    void call(full, ctx(), { idempotencyKey: 'r1' }, () => new Promise(() => {}));
    await new Promise((r) => setTimeout(r, 20));
    const err = await call(full, ctx(), { idempotencyKey: 'r2' }, () => 1).catch((e) => e);
    expect(err).toMatchObject({ code: 'UNAVAILABLE', details: { code: 'IDEMPOTENCY_LEDGER_FULL' } });
  });
});
