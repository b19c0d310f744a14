/**
 * JSON that is serialised once for values sent many times unchanged (the cached health summary is
 * the answer to every `health` call and part of every hello-ok). The owner turns its value into a
 * frozen snapshot; responses and events then splice the remembered text in instead of running
 * JSON.stringify per request. Everything else is serialised as before.
 */
const remembered = new WeakMap<object, string>();

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * An immutable copy of `value` (a JSON round trip, deep-frozen) whose JSON text is remembered.
 * The copy shares nothing with `value`, so later changes to the original do not leak into it.
 */
export function frozenSnapshot<T extends object>(value: T): T {
  const json = JSON.stringify(value);
  const copy = deepFreeze(JSON.parse(json) as T);
  remembered.set(copy, json);
  return copy;
}

/** `JSON.stringify(value)`, reusing the remembered text of a {@link frozenSnapshot}. */
export function toJson(value: unknown): string | undefined {
  if (typeof value === 'object' && value !== null) {
    const json = remembered.get(value);
    if (json !== undefined) return json;
  }
  return JSON.stringify(value);
}
