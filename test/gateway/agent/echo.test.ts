// The echo provider: streams the person's words back, labelled, with the configuration hint;
// drives tool calls offline; stops on abort.
import { describe, expect, it } from 'vitest';
import { ECHO_HINT, ECHO_LABEL, EchoProvider } from '../../../gateway/src/agent/providers/echo.js';
import { buildPrompt } from '../../../gateway/src/agent/prompt.js';
import type { ModelRequest, ProviderEvent } from '../../../gateway/src/agent/provider.js';

async function collect(stream: AsyncIterable<ProviderEvent>): Promise<ProviderEvent[]> {
  const out: ProviderEvent[] = [];
  for await (const e of stream) out.push(e);
  return out;
}
const texts = (events: ProviderEvent[]) => events.filter((e) => e.type === 'text').map((e) => (e as { delta: string }).delta);
const tool = { name: 'lookup', description: 'Look something up', parameters: { type: 'object', properties: {} } };

describe('echo provider', () => {
  const echo = new EchoProvider({ delayMs: 0 });

  it('streams the user text back word by word, labelled, ending with how to configure a model', async () => {
    const request: ModelRequest = { messages: buildPrompt({ inbound: { text: 'hello there  world', sender: { name: 'Ann' } } }) };
    const events = await collect(echo.stream(request, new AbortController().signal));
    const deltas = texts(events);
    expect(deltas.length).toBeGreaterThan(5);
    const full = `${ECHO_LABEL}hello there  world\n\n${ECHO_HINT}`;
    expect(deltas.join('')).toBe(full);
    expect(events[events.length - 1]).toEqual({ type: 'finish', reason: 'stop', text: full, toolCalls: [] });
    expect(ECHO_HINT).toMatch(/agent\.provider: openai.*agent\.baseUrl.*agent\.model.*SWITCHBOARD_OPENAI_API_KEY.*agent\.apiKeyEnv/s);
    expect(echo.id).toBe('echo');
  });

  it('echoes a raw user turn that has no untrusted block', async () => {
    const events = await collect(echo.stream({ messages: [{ role: 'user', content: 'plain' }] }, new AbortController().signal));
    expect(texts(events).join('')).toContain(`${ECHO_LABEL}plain`);
  });

  it('"/tool <name> <json>" calls that tool; the tool result is reported back as the answer', async () => {
    const messages = buildPrompt({ inbound: { text: '/tool lookup {"q":"cats"}' } });
    const first = await collect(echo.stream({ messages, tools: [tool] }, new AbortController().signal));
    const fin = first[first.length - 1];
    expect(fin).toMatchObject({ type: 'finish', reason: 'tool_calls', text: '' });
    const call = (fin as { toolCalls: { id: string; name: string; arguments: string }[] }).toolCalls[0];
    expect(call).toMatchObject({ name: 'lookup', arguments: '{"q":"cats"}' });
    expect(first).toContainEqual({ type: 'tool_call', call });
    const second = await collect(echo.stream({
      messages: [...messages, { role: 'assistant', content: '', toolCalls: [call] }, { role: 'tool', toolCallId: call.id, name: 'lookup', content: '{"found":3}' }],
      tools: [tool],
    }, new AbortController().signal));
    expect(texts(second).join('')).toBe(`${ECHO_LABEL}tool lookup returned: {"found":3}`);
  });

  it('"/tool" without arguments sends {}, and names a tool that is not on offer', async () => {
    const a = await collect(echo.stream({ messages: [{ role: 'user', content: '/tool lookup' }], tools: [tool] }, new AbortController().signal));
    expect(a.find((e) => e.type === 'tool_call')).toMatchObject({ call: { arguments: '{}' } });
    const b = await collect(echo.stream({ messages: [{ role: 'user', content: '/tool missing {}' }], tools: [tool] }, new AbortController().signal));
    expect(texts(b).join('')).toContain('there is no tool named "missing"');
  });

  it('stops streaming when aborted, with finish aborted and the words sent so far', async () => {
    const slow = new EchoProvider({ delayMs: 30 });
    const controller = new AbortController();
    const seen: ProviderEvent[] = [];
    setTimeout(() => controller.abort(), 100);
    for await (const e of slow.stream({ messages: [{ role: 'user', content: 'one two three four five six seven eight nine ten' }] }, controller.signal)) seen.push(e);
    const fin = seen[seen.length - 1] as { reason: string; text: string };
    expect(fin.reason).toBe('aborted');
    expect(fin.text).toBe(texts(seen).join(''));
    expect(fin.text.length).toBeGreaterThan(0);
    expect(fin.text).not.toContain('ten');
  });
});
