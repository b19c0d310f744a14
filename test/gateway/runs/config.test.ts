// The `agent` section of config.yaml (and SWITCHBOARD_AGENT_* over it) selects the provider the
// daemon's runs use; a configuration that cannot work refuses start-up with exit code 78.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createNodeClient } from '@switchboard/sdk/node';
import { ALL_OPERATOR_SCOPES } from '@switchboard/protocol';
import { spawnDaemon } from '../../helpers/daemon.js';
import { TEST_TOKEN } from '../../helpers/gateway.js';
import { sse, startFakeOpenAI, type FakeOpenAI } from '../../helpers/fake-openai.js';

let fake: FakeOpenAI;
const dirs: string[] = [];
beforeAll(async () => { fake = await startFakeOpenAI(); });
afterAll(async () => { await fake.close(); });
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  fake.reset();
});

function stateDirWith(config: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-agent-config-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'config.yaml'), config);
  return dir;
}

describe('agent configuration', () => {
  it('config.yaml selects the openai provider, model and instructions; the environment overrides the model', async () => {
    const dir = stateDirWith(`version: 1\nagent:\n  provider: openai\n  baseUrl: ${fake.baseUrl}\n  model: from-file\n  instructions: Answer in French.\n  apiKeyEnv: FAKE_KEY_FOR_TEST\n`);
    fake.enqueue(sse.text(['Bonjour']));
    const daemon = spawnDaemon({ stateDir: dir, token: TEST_TOKEN, env: { SWITCHBOARD_AGENT_MODEL: 'from-env', FAKE_KEY_FOR_TEST: 'sk-test-not-a-real-key-0123456789' } });
    try {
      const url = await daemon.ready;
      expect(daemon.stderr).toMatch(/"agent":\{"provider":"openai","model":"from-env"\}/);
      const client = createNodeClient({ url, token: TEST_TOKEN, client: { id: 'test', mode: 'test' }, scopes: [...ALL_OPERATOR_SCOPES], reconnect: false });
      await client.start();
      const final = await client.callFinal('agent', { message: 'hello', idempotencyKey: 'cfg-1' });
      expect(final).toMatchObject({ status: 'ok', result: { payloads: [{ text: 'Bonjour' }], meta: { provider: 'openai', model: 'from-env' } } });
      const request = fake.requests[0];
      expect(request.body.model).toBe('from-env');
      expect(request.headers.authorization).toBe('Bearer sk-test-not-a-real-key-0123456789');
      expect(request.body.messages[0]).toMatchObject({ role: 'system' });
      expect(request.body.messages[0].content).toMatch(/Operator instructions:\nAnswer in French\./);
      client.close();
      expect(daemon.stderr).not.toContain('sk-test-not-a-real-key');
      expect(daemon.stderr).not.toMatch(/unknown key|not a known/i);
    } finally {
      daemon.kill('SIGTERM');
      await daemon.exited;
    }
  });

  it('refuses to start (exit 78) with an openai provider and no model, naming the key', async () => {
    const daemon = spawnDaemon({ stateDir: stateDirWith('version: 1\nagent:\n  provider: openai\n'), token: TEST_TOKEN });
    expect(await daemon.exited).toBe(78);
    expect(daemon.stderr).toMatch(/agent\.model is not set/);
  });

  it('refuses to start (exit 78) with a bad SWITCHBOARD_AGENT_PROVIDER, naming it', async () => {
    const daemon = spawnDaemon({ stateDir: stateDirWith('version: 1\n'), token: TEST_TOKEN, env: { SWITCHBOARD_AGENT_PROVIDER: 'gpt' } });
    expect(await daemon.exited).toBe(78);
    expect(daemon.stderr).toMatch(/agent\.provider must be "echo" or "openai", not "gpt"/);
  });

  it('refuses a config file whose agent section has a wrong value, naming the path', async () => {
    const daemon = spawnDaemon({ stateDir: stateDirWith('version: 1\nagent:\n  provider: claude\n'), token: TEST_TOKEN });
    expect(await daemon.exited).toBe(78);
    expect(daemon.stderr).toMatch(/agent\.provider/);
  });
});
