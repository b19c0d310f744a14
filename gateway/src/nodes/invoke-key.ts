/**
 * The idempotency key a node sees. A node host remembers answers by key, and callers choose their
 * keys (the agent's come from the model's call ids, which repeat across runs), so the caller's raw
 * key must never reach the node: two callers using the same key would get each other's answers.
 * The gateway sends a key derived from who asks, the command, and the caller's key instead.
 */
import { createHash } from 'node:crypto';

/**
 * SHA-256 (hex) of `[principal, command, key]`. `principal` names the caller: the operator's
 * idempotency scope (`operator|device:<id>`), or `agent|<sessionKey>|<runId>` for an agent's call.
 * The same caller retrying with the same key gets the same node key; anyone else gets another.
 */
export function nodeInvokeKey(principal: string, command: string, key: string): string {
  return createHash('sha256').update(JSON.stringify([principal, command, key])).digest('hex');
}
