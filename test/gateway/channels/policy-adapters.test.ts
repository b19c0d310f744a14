// Who may talk, through every real adapter's own message parsing: Telegram (grammY against the fake
// Bot API), Discord (discord.js against the fake gateway + REST) and WhatsApp (Baileys behind the
// socket seam). Per platform and policy (allow-all, allowlist, pairing) one gateway gets a message
// from each sender (platform-allowlisted, globally allowlisted, paired, unknown) in a DM and in a
// group (mentioned and not), and the table says who is answered, who gets a pairing code, and who
// gets nothing — and that nothing reaches the agent (no session) for the ones not answered.
// policy.test.ts checks the decision function itself; this checks that each adapter feeds it right.
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { DRIVERS, type ChannelDriver, type Where } from '../../helpers/channel-drivers.js';
import type { Platform } from '../../../gateway/src/channels/config.js';

type Policy = 'allow-all' | 'allowlist' | 'pairing';
type Sender = 'allowlisted' | 'global' | 'paired' | 'unknown';
type Outcome = 'reply' | 'code' | 'nothing';

const SENDERS: Record<Sender, number> = { allowlisted: 1, global: 2, paired: 3, unknown: 4 };
const PLACES: Where[] = ['dm', 'group-mentioned', 'group-silent'];

/** Expected outcome per policy, sender and place: [dm, group-mentioned, group-silent]. */
const TABLE: Record<Policy, Record<Sender, [Outcome, Outcome, Outcome]>> = {
  // Everyone may talk; groups are still mention-gated.
  'allow-all': {
    allowlisted: ['reply', 'reply', 'nothing'],
    global: ['reply', 'reply', 'nothing'],
    paired: ['reply', 'reply', 'nothing'],
    unknown: ['reply', 'reply', 'nothing'],
  },
  // Strangers hear nothing; a pairing is worth nothing under allowlist.
  allowlist: {
    allowlisted: ['reply', 'reply', 'nothing'],
    global: ['reply', 'reply', 'nothing'],
    paired: ['nothing', 'nothing', 'nothing'],
    unknown: ['nothing', 'nothing', 'nothing'],
  },
  // Unknown DM senders get a code; pairing counts in DMs only; groups never offer pairing.
  pairing: {
    allowlisted: ['reply', 'reply', 'nothing'],
    global: ['reply', 'reply', 'nothing'],
    paired: ['reply', 'nothing', 'nothing'],
    unknown: ['code', 'nothing', 'nothing'],
  },
};

function policyConfig(policy: Policy, d: ChannelDriver): { platform: Record<string, unknown>; global: Record<string, unknown> } {
  const lists = { allowFrom: [d.userId(SENDERS.allowlisted)] };
  const global = { allowFrom: [`${d.platform}:${d.userId(SENDERS.global)}`] };
  if (policy === 'allow-all') return { platform: { allowAll: true }, global: {} };
  return { platform: { dmPolicy: policy, ...lists }, global };
}

let gw: TestGateway | undefined;
let driver: ChannelDriver | undefined;
afterEach(async () => {
  await gw?.close();
  await driver?.close();
  gw = undefined;
  driver = undefined;
});

async function runTable(platform: Platform, policy: Policy): Promise<void> {
  const d = (driver = await DRIVERS[platform]());
  const config = policyConfig(policy, d);
  gw = await startTestGateway({ extra: { ...d.gatewayExtra(config.platform, config.global), agent: { echoDelayMs: 0 } } });
  const store = gw.gateway.services.store;
  await store.commit(() => store.channels.addPairedUser({ platform, userId: d.userId(SENDERS.paired), approvedAt: Date.now(), approvedBy: 'test' }));
  await d.ready(gw);

  const cases: Array<{ sender: Sender; where: Where; tag: string; expected: Outcome }> = [];
  for (const sender of Object.keys(SENDERS) as Sender[]) {
    PLACES.forEach((where, i) => cases.push({ sender, where, tag: `${policy}-${sender}-${where}`, expected: TABLE[policy][sender][i] }));
  }
  for (const c of cases) d.send(SENDERS[c.sender], c.where, `hello ${c.tag}`);

  const answered = (c: (typeof cases)[number]) => d.texts(d.chatOf(SENDERS[c.sender], c.where)).some((t) => t.startsWith('Echo agent:') && t.includes(c.tag));
  const coded = (c: (typeof cases)[number]) => d.texts(d.chatOf(SENDERS[c.sender], c.where)).some((t) => /pairing code is [A-Z2-9]{8}/.test(t));
  const waitFor = cases.filter((c) => c.expected !== 'nothing');
  const end = Date.now() + 15_000;
  while (!waitFor.every((c) => (c.expected === 'reply' ? answered(c) : coded(c)))) {
    if (Date.now() > end) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  // Settle: anything wrongly answered would arrive by now (the agent answers in milliseconds).
  await new Promise((r) => setTimeout(r, 500));

  // What the agent saw: every channel session's history (a denied message never gets there).
  const client = await gw.connect();
  const keys = (await client.call('sessions.list', {})).sessions.map((s) => s.key).filter((k) => k.includes(`:${platform}:`));
  const histories = await Promise.all(keys.map((sessionKey) => client.call('chat.history', { sessionKey })));
  const agentSaw = JSON.stringify(histories);
  const seen = cases.map((c) => {
    const got: Outcome = answered(c) ? 'reply' : c.where === 'dm' && coded(c) ? 'code' : 'nothing';
    // "nothing" means nothing at all: not even a message in the sender's DM.
    const silent = c.where !== 'dm' || d.texts(d.chatOf(SENDERS[c.sender], 'dm')).length === 0;
    return { case: c.tag, got: c.expected === 'nothing' && !silent ? 'something' : got, agent: agentSaw.includes(c.tag) };
  });
  const want = cases.map((c) => ({ case: c.tag, got: c.expected, agent: c.expected === 'reply' }));
  expect(seen).toEqual(want);
  // The pairing code went to the unknown DM sender only, once.
  const codes = cases.filter((c) => c.where === 'dm').map((c) => d.texts(d.chatOf(SENDERS[c.sender], 'dm')).filter((t) => /pairing code is/.test(t)).length);
  expect(codes).toEqual(cases.filter((c) => c.where === 'dm').map((c) => (c.expected === 'code' ? 1 : 0)));
}

for (const platform of ['telegram', 'discord', 'whatsapp'] as Platform[]) {
  describe(`${platform}: policy × sender × DM/group × paired, through the adapter`, () => {
    for (const policy of ['allow-all', 'allowlist', 'pairing'] as Policy[]) {
      it(`${policy}`, async () => {
        await runTable(platform, policy);
      });
    }
  });
}
