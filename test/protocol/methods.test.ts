// The method and event tables are well formed: names, scopes, side effects, schemas that compile.
import { describe, expect, it } from 'vitest';
import { Kind, type TObject, type TSchema } from '@sinclair/typebox';
import { events, methods, OperatorScopes } from '@switchboard/protocol';
import { compileValidators } from '@switchboard/protocol/validators';

const NAME = /^[a-z][a-z0-9-]*(\.[a-z][a-zA-Z0-9-]*)*$/;

describe('method table', () => {
  it('has well-formed, unique names', () => {
    const names = Object.keys(methods);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n, n).toMatch(NAME);
    for (const n of Object.keys(events)) expect(n, n).toMatch(NAME);
  });

  it('declares a known scope (or node) for every method', () => {
    for (const [name, spec] of Object.entries(methods)) {
      expect([...OperatorScopes, 'node'], name).toContain(spec.access);
      expect(spec.summary.length, `${name} summary`).toBeGreaterThan(10);
    }
  });

  it('requires idempotencyKey exactly for side-effect methods', () => {
    for (const [name, spec] of Object.entries(methods)) {
      const params = spec.params as TSchema as TObject;
      expect(params[Kind], `${name} params must be an object`).toBe('Object');
      const required = params.required ?? [];
      if (spec.sideEffect) expect(required, `${name} must require idempotencyKey`).toContain('idempotencyKey');
      else expect(required, `${name} has no side effect, so it must not require idempotencyKey`).not.toContain('idempotencyKey');
    }
  });

  it('closes every params object against unknown properties', () => {
    for (const [name, spec] of Object.entries(methods)) {
      expect((spec.params as TObject).additionalProperties, name).toBe(false);
    }
  });

  it('compiles every schema (params, results, events)', () => {
    const v = compileValidators({ results: true, events: true });
    expect(v.params.size).toBe(Object.keys(methods).length);
    expect(v.events.size).toBe(Object.keys(events).length);
  });
});
