/**
 * From a validated config file to daemon settings. Precedence is flags > environment > config file
 * > built-in defaults: the process entry merges flags and environment first, then fills what is
 * still unset from the file with {@link mergeRunOptions}.
 */
import type { Limits } from './limits.js';
import { durationMs, type GatewayConfig } from './schema.js';
import type { AuthMode } from '../auth/shared-secret.js';
import { parseAgentConfig, type AgentConfig } from '../agent/config.js';
import { nodesOptionsFromConfig, type NodesOptionsInput } from '../nodes/options.js';
import type { ChannelsConfig } from '../channels/config.js';

/** The settings the config file can provide (the subset of RunOptions it knows). */
export interface ConfigSettings {
  port?: number;
  host?: string;
  authMode?: AuthMode;
  token?: string;
  password?: string;
  logLevel?: string;
  trustedProxies?: string[];
  allowedOrigins?: string[];
  limits?: Partial<Limits>;
  /** The `agent` section; environment overrides (SWITCHBOARD_AGENT_*) are applied on top by the caller. */
  agent?: AgentConfig;
  /** The `nodes` section: command allow/deny, exec allowlists, timeouts. */
  nodes?: NodesOptionsInput;
  /** The `channels` section, as validated. */
  channels?: ChannelsConfig;
}

/** `loopback` → 127.0.0.1, `lan`/`all` → 0.0.0.0, anything else is an address. */
export function bindAddress(bind: string): string {
  if (bind === 'loopback') return '127.0.0.1';
  if (bind === 'lan' || bind === 'all') return '0.0.0.0';
  return bind;
}

/** The daemon settings a validated config file provides (durations in milliseconds, bind words resolved). */
export function settingsFromConfig(config: Partial<GatewayConfig>): ConfigSettings {
  const out: ConfigSettings = {};
  const g = config.gateway;
  if (g?.port !== undefined) out.port = g.port;
  if (g?.bind !== undefined) out.host = bindAddress(g.bind);
  if (g?.auth?.mode !== undefined) out.authMode = g.auth.mode;
  if (g?.auth?.token !== undefined) out.token = g.auth.token;
  if (g?.auth?.password !== undefined) out.password = g.auth.password;
  if (g?.trustedProxies !== undefined) out.trustedProxies = g.trustedProxies;
  if (g?.allowedOrigins !== undefined) out.allowedOrigins = g.allowedOrigins;
  if (config.log?.level !== undefined) out.logLevel = config.log.level;
  const limits: Partial<Limits> = { ...config.limits };
  if (config.idempotency?.ttl !== undefined) limits.idempotencyTtlMs = durationMs(config.idempotency.ttl);
  if (config.idempotency?.maxEntries !== undefined) limits.maxIdempotencyEntries = config.idempotency.maxEntries;
  if (Object.keys(limits).length > 0) out.limits = limits;
  if (config.agent !== undefined) out.agent = parseAgentConfig(config.agent).config;
  if (config.nodes !== undefined) out.nodes = nodesOptionsFromConfig(config.nodes);
  if (config.channels !== undefined) out.channels = config.channels;
  return out;
}

/** `higher` wins wherever it has a value; limits merge key by key. */
export function mergeRunOptions<T extends ConfigSettings>(higher: T, lower: ConfigSettings): T {
  const merged = { ...higher } as T & ConfigSettings;
  for (const [key, value] of Object.entries(lower) as [keyof ConfigSettings, unknown][]) {
    if (key === 'limits' || key === 'agent') continue;
    if (merged[key] === undefined) (merged as Record<string, unknown>)[key] = value;
  }
  if (lower.limits || higher.limits) merged.limits = { ...lower.limits, ...higher.limits };
  if (lower.agent || higher.agent) merged.agent = { ...lower.agent, ...higher.agent };
  return merged;
}
