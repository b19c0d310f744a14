/**
 * Session keys, as OpenClaw writes them: `agent:<agentId>:<rest>`. The main session of an agent is
 * `agent:<agentId>:main`; channel sessions look like `agent:main:telegram:direct:<peer>`. A key
 * without the `agent:` prefix belongs to the default agent (`main` → `agent:main:main`).
 */
import { GatewayError } from '@switchboard/protocol';

/** The agent a key without `agent:` belongs to. */
export const DEFAULT_AGENT_ID = 'main';
/** The rest of an agent's main session key. */
export const MAIN_KEY = 'main';
/** The default agent's main session. */
export const MAIN_SESSION_KEY = `agent:${DEFAULT_AGENT_ID}:${MAIN_KEY}`;

const AGENT_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** A canonical key and its parts. */
export interface ResolvedKey {
  /** Canonical `agent:<agentId>:<rest>`. */
  key: string;
  agentId: string;
  /** The part after the agent id. */
  rest: string;
}

/**
 * Canonicalises a client's session key. Throws INVALID_REQUEST when the key is malformed or names
 * another agent than `agentId`.
 */
export function resolveSessionKey(raw: string, agentId?: string): ResolvedKey {
  const trimmed = raw.trim();
  const requested = agentId?.trim().toLowerCase();
  let agent: string;
  let rest: string;
  if (trimmed.toLowerCase().startsWith('agent:')) {
    const parts = trimmed.split(':');
    agent = (parts[1] ?? '').toLowerCase();
    rest = parts.slice(2).join(':');
  } else {
    agent = requested ?? DEFAULT_AGENT_ID;
    rest = trimmed;
  }
  if (!AGENT_ID.test(agent) || rest.length === 0) {
    throw new GatewayError('INVALID_REQUEST', `invalid session key "${raw}": use agent:<agentId>:<name>, e.g. ${MAIN_SESSION_KEY}`, {
      details: { code: 'INVALID_SESSION_KEY' },
    });
  }
  if (requested !== undefined && requested !== agent) {
    throw new GatewayError('INVALID_REQUEST', `session key "${raw}" belongs to agent "${agent}", not "${requested}"; drop agentId or fix the key`, {
      details: { code: 'INVALID_SESSION_KEY' },
    });
  }
  return { key: `agent:${agent}:${rest}`, agentId: agent, rest };
}

/** Whether the key is an agent's main session (always exists; created on first use). */
export function isMainSession(resolved: ResolvedKey): boolean {
  return resolved.rest === MAIN_KEY;
}

/** OpenClaw's row kind, from the key's shape. */
export function sessionKind(resolved: Pick<ResolvedKey, 'rest'>): 'direct' | 'group' | 'global' {
  if (resolved.rest === 'global') return 'global';
  if (/(^|:)(group|channel)(:|$)/.test(resolved.rest)) return 'group';
  return 'direct';
}

/** Splits a canonical key stored in the database (never throws). */
export function splitStoredKey(key: string): Pick<ResolvedKey, 'agentId' | 'rest'> {
  const parts = key.split(':');
  return { agentId: parts[1] ?? DEFAULT_AGENT_ID, rest: parts.slice(2).join(':') };
}
