// The agent configuration contract: which provider, validation with sentences, env overrides.
import { describe, expect, it } from 'vitest';
import {
  agentConfigFromEnv, AgentConfigError, createProvider, parseAgentConfig, selectedProvider,
} from '../../../gateway/src/agent/config.js';
import { EchoProvider } from '../../../gateway/src/agent/providers/echo.js';
import { OpenAIProvider } from '../../../gateway/src/agent/providers/openai.js';

describe('agent configuration', () => {
  it('selects echo with nothing configured, openai when a model is named, or what provider says', () => {
    expect(selectedProvider({})).toBe('echo');
    expect(selectedProvider({ model: 'llama3.2' })).toBe('openai');
    expect(selectedProvider({ provider: 'echo', model: 'x' })).toBe('echo');
    expect(createProvider()).toBeInstanceOf(EchoProvider);
    const p = createProvider({ model: 'llama3.2', baseUrl: 'http://127.0.0.1:11434/v1' }, { env: {} });
    expect(p).toBeInstanceOf(OpenAIProvider);
    expect(p.model).toBe('llama3.2');
  });

  it('refuses openai without a model, and a bad base URL, with sentences', () => {
    expect(() => createProvider({ provider: 'openai' })).toThrow(AgentConfigError);
    expect(() => createProvider({ provider: 'openai' })).toThrow(/agent\.model is not set: name the model/);
    expect(() => createProvider({ model: 'm', baseUrl: 'localhost:11434' })).toThrow(/agent\.baseUrl must be an http\(s\) URL/);
  });

  it('parses a file section, naming the bad key, and reports unknown keys without failing', () => {
    const { config, unknown } = parseAgentConfig({ provider: 'openai', model: 'gpt-4o-mini', apiKeyEnv: 'OPENROUTER_API_KEY', timeouts: { idleMs: 1000 }, colour: 'blue' });
    expect(config).toEqual({ provider: 'openai', model: 'gpt-4o-mini', apiKeyEnv: 'OPENROUTER_API_KEY', timeouts: { idleMs: 1000 } });
    expect(unknown).toEqual(['colour']);
    expect(parseAgentConfig(undefined)).toEqual({ config: {}, unknown: [] });
    expect(() => parseAgentConfig({ provider: 'anthropic' })).toThrow('agent.provider must be "echo" or "openai", not "anthropic"');
    expect(() => parseAgentConfig({ model: '' })).toThrow('agent.model must be a non-empty string');
    expect(() => parseAgentConfig({ maxToolRounds: -1 })).toThrow('agent.maxToolRounds must be a number of at least 0');
    expect(() => parseAgentConfig({ timeouts: { totalMs: 'soon' } })).toThrow('agent.timeouts.totalMs must be a number of at least 1');
    expect(() => parseAgentConfig([])).toThrow(/agent must be a mapping/);
  });

  it('refuses a key pasted where the variable name belongs', () => {
    expect(() => parseAgentConfig({ apiKeyEnv: 'sk-proj-abc123-def' })).toThrow(/must be the NAME of an environment variable/);
  });

  it('reads the SWITCHBOARD_AGENT_* overrides', () => {
    expect(agentConfigFromEnv({ SWITCHBOARD_AGENT_MODEL: 'llama3.2', SWITCHBOARD_AGENT_BASE_URL: 'http://127.0.0.1:11434/v1', SWITCHBOARD_AGENT_PROVIDER: '' })).toEqual({
      model: 'llama3.2', baseUrl: 'http://127.0.0.1:11434/v1',
    });
    expect(agentConfigFromEnv({})).toEqual({});
    expect(() => agentConfigFromEnv({ SWITCHBOARD_AGENT_PROVIDER: 'x' })).toThrow(AgentConfigError);
  });
});
