/**
 * The agent's configuration contract — the `agent` section the config file carries
 * (docs/agent.md is the reference) — and the factory that turns it into a provider.
 *
 * Which provider: `agent.provider` if set; else `openai` when `agent.model` is set; else `echo`,
 * so a fresh install works offline. API keys are never in the config: only the *name* of the
 * environment variable that holds one (`agent.apiKeyEnv`).
 */
import { silentLog, type Log } from '../log.js';
import type { ModelProvider } from './provider.js';
import { EchoProvider } from './providers/echo.js';
import { DEFAULT_API_KEY_ENV, OpenAIProvider, type OpenAITimeouts } from './providers/openai.js';

/** The `agent` section of the configuration. Every key is optional. */
export interface AgentConfig {
  /** `echo` (built in, offline) or `openai` (any OpenAI-compatible Chat Completions endpoint). */
  provider?: 'echo' | 'openai';
  /** API root; default `https://api.openai.com/v1`. Ollama: `http://127.0.0.1:11434/v1`. */
  baseUrl?: string;
  /** Model name, e.g. `gpt-4o-mini`, `llama3.2`. Required for `openai`. */
  model?: string;
  /** Environment variable holding the API key; default `SWITCHBOARD_OPENAI_API_KEY` (then `OPENAI_API_KEY`). */
  apiKeyEnv?: string;
  /** The agent's name in its system prompt; default `Switchboard`. */
  name?: string;
  /** Operator instructions appended to the system prompt (trusted). */
  instructions?: string;
  temperature?: number;
  maxTokens?: number;
  /** Tool rounds per run; default 8. */
  maxToolRounds?: number;
  /** openai time limits (ms): connect (to headers), idle (between chunks), total (whole turn). */
  timeouts?: OpenAITimeouts;
  /** echo: pause between words (ms); default 25. */
  echoDelayMs?: number;
}

/** Default API root of the openai provider. */
export const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';

/** Thrown for a bad `agent` section; the message names the key and how to fix it. */
export class AgentConfigError extends Error {
  override readonly name = 'AgentConfigError';
}

const KEYS = new Set(['provider', 'baseUrl', 'model', 'apiKeyEnv', 'name', 'instructions', 'temperature', 'maxTokens', 'maxToolRounds', 'timeouts', 'echoDelayMs']);

/**
 * Checks an `agent` section read from a file. Throws {@link AgentConfigError} naming the key.
 * Unknown keys are returned in `unknown` (the config loader warns; it does not fail the boot).
 */
export function parseAgentConfig(input: unknown): { config: AgentConfig; unknown: string[] } {
  if (input === undefined || input === null) return { config: {}, unknown: [] };
  if (typeof input !== 'object' || Array.isArray(input)) throw new AgentConfigError('agent must be a mapping of keys such as provider, baseUrl and model');
  const raw = input as Record<string, unknown>;
  const str = (key: string) => {
    const v = raw[key];
    if (v !== undefined && (typeof v !== 'string' || v.trim() === '')) throw new AgentConfigError(`agent.${key} must be a non-empty string`);
    return v as string | undefined;
  };
  const num = (value: unknown, key: string, min: number) => {
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < min)) {
      throw new AgentConfigError(`agent.${key} must be a number of at least ${min}`);
    }
    return value as number | undefined;
  };
  const provider = str('provider');
  if (provider !== undefined && provider !== 'echo' && provider !== 'openai') {
    throw new AgentConfigError(`agent.provider must be "echo" or "openai", not "${provider}"`);
  }
  const apiKeyEnv = str('apiKeyEnv');
  if (apiKeyEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(apiKeyEnv)) {
    throw new AgentConfigError('agent.apiKeyEnv must be the NAME of an environment variable (e.g. OPENROUTER_API_KEY), never the key itself');
  }
  const t = raw.timeouts as Record<string, unknown> | undefined;
  if (t !== undefined && (typeof t !== 'object' || t === null)) throw new AgentConfigError('agent.timeouts must be a mapping of connectMs, idleMs, totalMs');
  const config: AgentConfig = {
    provider: provider as AgentConfig['provider'],
    baseUrl: str('baseUrl'),
    model: str('model'),
    apiKeyEnv,
    name: str('name'),
    instructions: str('instructions'),
    temperature: num(raw.temperature, 'temperature', 0),
    maxTokens: num(raw.maxTokens, 'maxTokens', 1),
    maxToolRounds: num(raw.maxToolRounds, 'maxToolRounds', 0),
    echoDelayMs: num(raw.echoDelayMs, 'echoDelayMs', 0),
    timeouts: t && {
      connectMs: num(t.connectMs, 'timeouts.connectMs', 1),
      idleMs: num(t.idleMs, 'timeouts.idleMs', 1),
      totalMs: num(t.totalMs, 'timeouts.totalMs', 1),
    },
  };
  for (const key of Object.keys(config) as (keyof AgentConfig)[]) if (config[key] === undefined) delete config[key];
  return { config, unknown: Object.keys(raw).filter((k) => !KEYS.has(k)) };
}

/**
 * Environment overrides: `SWITCHBOARD_AGENT_PROVIDER`, `SWITCHBOARD_AGENT_BASE_URL`,
 * `SWITCHBOARD_AGENT_MODEL`, `SWITCHBOARD_AGENT_API_KEY_ENV`. Returns only the keys that are set.
 */
export function agentConfigFromEnv(env: Record<string, string | undefined> = process.env): AgentConfig {
  const pick = {
    provider: env.SWITCHBOARD_AGENT_PROVIDER,
    baseUrl: env.SWITCHBOARD_AGENT_BASE_URL,
    model: env.SWITCHBOARD_AGENT_MODEL,
    apiKeyEnv: env.SWITCHBOARD_AGENT_API_KEY_ENV,
  };
  const set = Object.fromEntries(Object.entries(pick).filter(([, v]) => v !== undefined && v !== ''));
  return parseAgentConfig(set).config;
}

/** Which provider a configuration selects (see the module comment). */
export function selectedProvider(config: AgentConfig): 'echo' | 'openai' {
  return config.provider ?? (config.model ? 'openai' : 'echo');
}

/** Builds the configured provider. Throws {@link AgentConfigError} for an openai config without a model. */
export function createProvider(config: AgentConfig = {}, options: { env?: Record<string, string | undefined>; log?: Log } = {}): ModelProvider {
  if (selectedProvider(config) === 'echo') return new EchoProvider({ delayMs: config.echoDelayMs });
  if (!config.model) {
    throw new AgentConfigError('agent.provider is "openai" but agent.model is not set: name the model, e.g. agent.model: gpt-4o-mini (or llama3.2 for Ollama)');
  }
  try {
    return new OpenAIProvider({
      baseUrl: config.baseUrl ?? DEFAULT_OPENAI_BASE_URL,
      model: config.model,
      apiKeyEnv: config.apiKeyEnv,
      env: options.env,
      timeouts: config.timeouts,
      log: options.log ?? silentLog(),
    });
  } catch (error) {
    throw new AgentConfigError(error instanceof Error ? error.message : String(error));
  }
}

export { DEFAULT_API_KEY_ENV };
