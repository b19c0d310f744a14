/**
 * The config file's schema (TypeBox), version 1. Each field's `description` says what a valid value
 * looks like: validation errors quote it, so keep it a short phrase that tells how to fix the value.
 * Other areas add their sections here (channels); until they do, their keys are reported as
 * unknown (a warning) and kept. The `agent` section is the contract of agent/config.ts
 * (docs/agent.md); `parseAgentConfig` checks it again at start-up.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { NodesConfigSection } from '../nodes/options.js';
import { ChannelsConfigSchema } from '../channels/config.js';

/** The version this build writes; older files are migrated first (config/migrations.ts). */
export const CONFIG_VERSION = 1;

const closed = <T extends Parameters<typeof Type.Object>[0]>(props: T, description?: string) =>
  Type.Object(props, { additionalProperties: false, ...(description ? { description } : {}) });

const Int = (min: number, description: string, max?: number) =>
  Type.Integer({ minimum: min, ...(max !== undefined ? { maximum: max } : {}), description });

/** `250ms`, `30s`, `5m`, `24h`, `7d`, or a number of milliseconds. */
export const Duration = Type.Union([
  Type.Integer({ minimum: 0 }),
  Type.String({ pattern: '^[0-9]+(ms|s|m|h|d)$' }),
], { description: 'a duration such as 30s, 5m, 24h or 7d, or a number of milliseconds' });

/** Log levels `log.level` accepts. */
export const LogLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** The whole file. Objects are closed so unknown keys are found (and reported as warnings). */
export const ConfigSchema = closed({
  version: Type.Literal(CONFIG_VERSION, { description: `the config format version (${CONFIG_VERSION})` }),
  gateway: Type.Optional(closed({
    port: Type.Optional(Int(0, 'an integer port from 0 to 65535 (0 picks a free one)', 65535)),
    bind: Type.Optional(Type.String({ minLength: 1, description: 'loopback, lan, or an IP address to listen on' })),
    auth: Type.Optional(closed({
      mode: Type.Optional(Type.Union([Type.Literal('token'), Type.Literal('password'), Type.Literal('none')], { description: 'token, password or none' })),
      token: Type.Optional(Type.String({ minLength: 16, description: 'a token of at least 16 characters; better a ${ENV} reference than the secret itself' })),
      password: Type.Optional(Type.String({ minLength: 8, description: 'a password of at least 8 characters; better a ${ENV} reference' })),
    })),
    trustedProxies: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'a list of proxy IP addresses or CIDR ranges (10.0.0.2, 10.0.0.0/8, fd00::/8) whose X-Forwarded-For is believed' })),
    allowedOrigins: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'a list of browser origins such as https://chat.example.com' })),
  })),
  log: Type.Optional(closed({
    level: Type.Optional(Type.Union(LogLevels.map((l) => Type.Literal(l)), { description: LogLevels.join(', ') })),
  })),
  idempotency: Type.Optional(closed({
    ttl: Type.Optional(Duration),
    maxEntries: Type.Optional(Int(1, 'a positive integer (entries kept in the idempotency ledger)')),
  })),
  agent: Type.Optional(closed({
    provider: Type.Optional(Type.Union([Type.Literal('echo'), Type.Literal('openai')], { description: 'echo (built in, offline) or openai (any OpenAI-compatible endpoint)' })),
    baseUrl: Type.Optional(Type.String({ minLength: 1, description: 'the API root, e.g. http://127.0.0.1:11434/v1 for Ollama' })),
    model: Type.Optional(Type.String({ minLength: 1, description: 'a model name such as gpt-4o-mini or llama3.2' })),
    apiKeyEnv: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'the NAME of the environment variable holding the API key, never the key' })),
    name: Type.Optional(Type.String({ minLength: 1, description: "the agent's name in its system prompt" })),
    instructions: Type.Optional(Type.String({ minLength: 1, description: 'operator instructions appended to the system prompt' })),
    temperature: Type.Optional(Type.Number({ minimum: 0, description: 'a number of at least 0' })),
    maxTokens: Type.Optional(Int(1, 'a positive integer')),
    maxToolRounds: Type.Optional(Int(0, 'an integer of at least 0')),
    echoDelayMs: Type.Optional(Int(0, 'milliseconds')),
    timeouts: Type.Optional(closed({
      connectMs: Type.Optional(Int(1, 'milliseconds')),
      idleMs: Type.Optional(Int(1, 'milliseconds')),
      totalMs: Type.Optional(Int(1, 'milliseconds')),
    })),
  })),
  nodes: Type.Optional(NodesConfigSection),
  channels: Type.Optional(ChannelsConfigSchema),
  limits: Type.Optional(closed({
    maxPayload: Type.Optional(Int(1024, 'bytes, at least 1024')),
    maxBufferedBytes: Type.Optional(Int(1024, 'bytes, at least 1024')),
    slowConsumerGraceMs: Type.Optional(Int(0, 'milliseconds')),
    tickIntervalMs: Type.Optional(Int(1000, 'milliseconds, at least 1000')),
    handshakeTimeoutMs: Type.Optional(Int(100, 'milliseconds, at least 100')),
    pingIntervalMs: Type.Optional(Int(1000, 'milliseconds, at least 1000')),
    healthRefreshMs: Type.Optional(Int(1000, 'milliseconds, at least 1000')),
    maxFailedRequestsPerMinute: Type.Optional(Int(1, 'a positive integer')),
    requestBudget: Type.Optional(closed({
      maxRequests: Int(1, 'a positive integer'),
      windowMs: Int(100, 'milliseconds, at least 100'),
    })),
    historyMaxBytes: Type.Optional(Int(1024, 'bytes, at least 1024')),
    historyMaxEntryBytes: Type.Optional(Int(256, 'bytes, at least 256')),
  })),
});
/** A validated config file. */
export type GatewayConfig = Static<typeof ConfigSchema>;

/** Config keys whose values are secrets: never printed, logged or put in a backup without consent. */
export const SECRET_KEY = /(token|password|secret|apikey|api_key|privatekey)$/i;

/** The sub-schema at a dotted path, for `config set` hints; undefined when the path is unknown. */
export function schemaAt(path: readonly string[]): TSchema | undefined {
  let node: TSchema | undefined = ConfigSchema;
  for (const part of path) {
    const props: Record<string, TSchema> | undefined = (node as { properties?: Record<string, TSchema> } | undefined)?.properties;
    node = props?.[part];
    if (!node) return undefined;
  }
  return node;
}

/** Milliseconds of a {@link Duration} value. */
export function durationMs(value: number | string): number {
  if (typeof value === 'number') return value;
  const m = /^([0-9]+)(ms|s|m|h|d)$/.exec(value)!;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}
