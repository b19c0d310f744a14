// The cached health summary is an immutable snapshot whose JSON is serialised once and reused by
// every health answer and event (gateway/src/json-cache.ts), with bytes identical to JSON.stringify.
import { describe, expect, it } from 'vitest';
import { frozenSnapshot, toJson } from '../../gateway/src/json-cache.js';
import { HealthMonitor } from '../../gateway/src/state/health.js';

describe('json cache', () => {
  it('snapshots a value: deep-frozen, decoupled from the original, JSON remembered', () => {
    const live = { ok: true, channels: { telegram: { state: 'up' } }, order: ['telegram'] };
    const snap = frozenSnapshot(live);
    live.channels.telegram.state = 'down';
    expect(snap.channels.telegram.state).toBe('up');
    expect(Object.isFrozen(snap) && Object.isFrozen(snap.channels.telegram) && Object.isFrozen(snap.order)).toBe(true);
    expect(() => { (snap as { ok: boolean }).ok = false; }).toThrow(TypeError);
    expect(toJson(snap)).toBe('{"ok":true,"channels":{"telegram":{"state":"up"}},"order":["telegram"]}');
  });

  it('serialises everything else exactly as JSON.stringify does', () => {
    for (const v of [{ a: 1, b: undefined }, [1, 'x', null], 'text', 3, null, true]) expect(toJson(v)).toBe(JSON.stringify(v));
    expect(toJson(undefined)).toBeUndefined();
  });

  it('gives the health monitor an immutable summary that a contributor cannot change afterwards', () => {
    const channels: Record<string, unknown> = { discord: { connected: true } };
    const published: unknown[] = [];
    const monitor = new HealthMonitor((s) => published.push(s));
    monitor.addContributor(() => ({ channels }));
    const summary = monitor.refresh();
    channels.discord = { connected: false };
    expect(monitor.summary().channels).toEqual({ discord: { connected: true } });
    expect(published[0]).toBe(summary);
    expect(JSON.parse(toJson(summary)!)).toEqual(summary);
    monitor.stop();
  });
});
