/**
 * The Telegram channel case (issue 7): a fake Telegram Bot API in this process (long-poll
 * `getUpdates`, `sendMessage`), a gateway spawned from dist whose `config.yaml` points the Telegram
 * channel at it, the built-in echo agent (no delay) answering. Gateway only: the bare limit has no
 * channels.
 *
 * Each round measures two things:
 * - throughput: a burst of messages, each from its own chat (so the per-chat send limit of one
 *   message a second is not what is measured), handed to the bot through `getUpdates`, until every
 *   reply has reached the fake's `sendMessage`;
 * - added latency: messages one at a time, from the fake answering the `getUpdates` that carries
 *   the update to the fake receiving the reply (same process, same clock). That is the gateway's
 *   whole path — inbound ledger commit (fsync), authorisation, run submit (fsync), echo agent,
 *   outbound enqueue (fsync), pump, send — plus grammY's HTTP on both sides.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuSeconds, rssMiB } from '../proc.js';
import { startGatewayIn, type ServerProcess } from '../servers.js';
import { median, summarize } from '../stats.js';
import type { BenchCase, CaseRun, Measurement, Timing } from './types.js';

/** A made-up bot token in the shape Telegram issues; the fake accepts any. */
const BOT_TOKEN = '7000001:AAFbench-telegram-token-0123456789';
/** Bounds on the messages of one round, whatever the timing. */
const BURST_MIN = 30;
const BURST_MAX = 500;
const SEQUENTIAL_MIN = 10;
const SEQUENTIAL_MAX = 40;
/** Longest wait for one burst's replies, and for one sequential reply. */
const BURST_TIMEOUT_MS = 60_000;
const REPLY_TIMEOUT_MS = 30_000;

const burstSize = (t: Timing) => Math.min(BURST_MAX, Math.max(BURST_MIN, Math.round(t.roundSeconds * 150)));
const sequentialCount = (t: Timing) => Math.min(SEQUENTIAL_MAX, Math.max(SEQUENTIAL_MIN, Math.round(t.roundSeconds * 20)));

interface TelegramRound { messagesPerSec: number; p50Ms: number; p99Ms: number }

class TelegramRun implements CaseRun {
  private readonly perRound: TelegramRound[] = [];
  private readonly latencies: number[] = [];
  private delivered = 0;
  private sent = 0;
  private serverCpu = 0;
  private rssPeak = 0;
  /** Chat ids are never reused: each round's chats start at a fresh base. */
  private nextChat = 1_000;
  private closed = false;

  constructor(private readonly fake: FakeBotApi, private readonly server: ServerProcess, private readonly remove: () => void, private readonly timing: Timing) {}

  async round(index: number): Promise<void> {
    if (index === 0) await this.burst(BURST_MIN); // warm-up: first sends, first runs, JIT
    const n = burstSize(this.timing);
    const cpu0 = cpuSeconds(this.server.pid);
    const sampler = setInterval(() => { this.rssPeak = Math.max(this.rssPeak, rssMiB(this.server.pid) ?? 0); }, 100);
    const t0 = performance.now();
    const delivered = await this.burst(n).finally(() => clearInterval(sampler));
    const seconds = (performance.now() - t0) / 1000;
    this.serverCpu += cpuSeconds(this.server.pid) - cpu0;
    this.sent += n;
    this.delivered += delivered;
    const samples: number[] = [];
    for (let i = 0; i < sequentialCount(this.timing); i++) samples.push(await this.roundTrip(this.nextChat++, `latency ${i}`));
    this.latencies.push(...samples);
    const latency = summarize(samples);
    this.perRound.push({ messagesPerSec: Math.round(delivered / seconds), p50Ms: latency.p50, p99Ms: latency.p99 });
  }

  /** `n` messages at once from `n` new chats; resolves with how many got a reply. */
  private burst(n: number): Promise<number> {
    const first = this.nextChat;
    this.nextChat += n;
    const done = this.fake.replies(first, n, BURST_TIMEOUT_MS);
    for (let i = 0; i < n; i++) this.fake.push(first + i, `message ${i}`);
    return done;
  }

  /** One message; update handed out → reply received, in ms. */
  private async roundTrip(chatId: number, text: string): Promise<number> {
    const reply = this.fake.replies(chatId, 1, REPLY_TIMEOUT_MS);
    this.fake.push(chatId, text);
    if ((await reply) !== 1) throw new Error(`no reply to chat ${chatId} within ${REPLY_TIMEOUT_MS} ms`);
    return this.fake.replyAt.get(chatId)! - this.fake.handedOutAt.get(chatId)!;
  }

  async finish(): Promise<Measurement> {
    await this.abort();
    const latency = summarize(this.latencies);
    return {
      rounds: this.perRound.map((r) => ({ ...r })),
      figures: {
        messagesPerSec: median(this.perRound.map((r) => r.messagesPerSec)),
        p50Ms: latency.n ? latency.p50 : null,
        p99Ms: latency.n ? latency.p99 : null,
        serverCpuUsPerMessage: this.delivered ? Math.round((this.serverCpu / this.delivered) * 1e7) / 10 : null,
        rssPeakMiB: this.rssPeak || null,
      },
      detail: { sent: this.sent, delivered: this.delivered, lost: this.sent - this.delivered, latencySamples: latency.n, burst: burstSize(this.timing), rounds: this.perRound },
    };
  }

  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.server.stop();
    await this.fake.close();
    this.remove();
  }
}

/** Issue 7: inbound Telegram messages through the echo agent to delivered replies, and the added latency. */
export const telegramCase: BenchCase = {
  id: 'telegram-echo',
  title: 'Telegram messages through the echo agent',
  description: `A fake Telegram Bot API (long-poll getUpdates, sendMessage) and the Telegram channel pointed at it; the echo agent answers at once. Each round: a burst of ${BURST_MIN}–${BURST_MAX} messages, each from its own chat, until every reply reached the fake (messages/s); then ${SEQUENTIAL_MIN}–${SEQUENTIAL_MAX} messages one at a time, timed from the fake handing the update out to the reply arriving: the gateway's added latency with three fsynced commits, the echo agent and grammY's HTTP included.`,
  gatewayOnly: 'the limit has no channels',
  figures: [
    { key: 'messagesPerSec', label: 'Telegram messages in → replies delivered (burst, one chat each)', unit: 'msg/s', better: 'higher' },
    { key: 'p50Ms', label: 'Telegram added latency p50 (update handed out → reply received)', unit: 'ms', better: 'lower' },
    { key: 'p99Ms', label: 'Telegram added latency p99', unit: 'ms', better: 'lower' },
    { key: 'serverCpuUsPerMessage', label: 'server CPU per Telegram message', unit: 'µs', better: 'lower' },
    { key: 'rssPeakMiB', label: 'gateway RSS peak during the bursts', unit: 'MiB', better: 'lower' },
  ],
  rounds: (timing) => timing.rounds,
  async start(_kind, ctx): Promise<CaseRun> {
    const fake = await startFakeBotApi();
    const home = mkdtempSync(join(tmpdir(), 'switchboard-bench-telegram-'));
    const remove = () => rmSync(home, { recursive: true, force: true });
    writeFileSync(join(home, 'config.yaml'), [
      'version: 1',
      'agent:',
      '  echoDelayMs: 0',
      'channels:',
      '  telegram:',
      '    token: ${BENCH_TELEGRAM_TOKEN}',
      `    apiRoot: ${fake.apiRoot}`,
      '    pollTimeoutSeconds: 1',
      '    allowAll: true',
      '    typing: false',
      '    streaming:',
      '      enabled: false',
      // The fake has no global limit; the real Bot API's 30/s would make this measure the bucket.
      '    rateLimits:',
      '      perSecond: 1000',
      '',
    ].join('\n'));
    let server: ServerProcess | undefined;
    try {
      server = await startGatewayIn(ctx.paths, home, { BENCH_TELEGRAM_TOKEN: BOT_TOKEN });
      // Ready once the channel polls and a first message went the whole way.
      if ((await (async () => { const r = fake.replies(1, 1, REPLY_TIMEOUT_MS); fake.push(1, 'ready?'); return r; })()) !== 1) {
        throw new Error(`the Telegram channel did not answer within ${REPLY_TIMEOUT_MS} ms: ${server.output().slice(-500)}`);
      }
    } catch (err) {
      await server?.stop();
      await fake.close();
      remove();
      throw err;
    }
    return new TelegramRun(fake, server, remove, ctx.timing);
  },
};

// ── the fake Bot API ───────────────────────────────────────────────────────────────────────────

interface FakeBotApi {
  apiRoot: string;
  /** Queues a private text message from `chatId` for the next getUpdates. */
  push(chatId: number, text: string): void;
  /** Resolves with how many of the `count` chats from `firstChat` got a reply, once all did (or at the timeout). */
  replies(firstChat: number, count: number, timeoutMs: number): Promise<number>;
  /** performance.now() when getUpdates handed out each chat's update, and when its first reply arrived. */
  handedOutAt: Map<number, number>;
  replyAt: Map<number, number>;
  close(): Promise<void>;
}

/** A Bot API on a loopback port, enough of it for grammY's long polling and plain replies. */
async function startFakeBotApi(): Promise<FakeBotApi> {
  const queue: Array<Record<string, unknown>> = [];
  let pollWaiters: Array<() => void> = [];
  const replyWaiters = new Set<() => void>();
  let nextUpdate = 1;
  let nextMessage = 1;
  const handedOutAt = new Map<number, number>();
  const replyAt = new Map<number, number>();
  const server: Server = createServer(async (req, res) => {
    const body = await readJson(req);
    const method = /\/(\w+)$/.exec(req.url ?? '')?.[1];
    const ok = (result: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, result }));
    };
    if (method === 'getMe') return ok({ id: 7000001, is_bot: true, first_name: 'Bench', username: 'bench_bot' });
    if (method === 'deleteWebhook' || method === 'sendChatAction' || method === 'setMyCommands') return ok(true);
    if (method === 'getUpdates') {
      if (queue.length === 0 && Number(body.timeout ?? 0) > 0) {
        await new Promise<void>((r) => {
          const t = setTimeout(r, 500);
          pollWaiters.push(() => { clearTimeout(t); r(); });
        });
      }
      const offset = Number(body.offset ?? 0);
      while (queue.length > 0 && Number(queue[0].update_id) < offset) queue.shift();
      const batch = queue.slice(0, Math.min(100, Number(body.limit ?? 100)));
      const now = performance.now();
      for (const u of batch) {
        const chat = (u.message as { chat: { id: number } }).chat.id;
        if (!handedOutAt.has(chat)) handedOutAt.set(chat, now);
      }
      return ok(batch);
    }
    if (method === 'sendMessage' || method === 'editMessageText') {
      const chatId = Number(body.chat_id);
      if (!replyAt.has(chatId)) replyAt.set(chatId, performance.now());
      for (const w of replyWaiters) w();
      return ok({ message_id: nextMessage++, date: Math.floor(Date.now() / 1000), chat: { id: chatId, type: 'private' }, text: body.text });
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: false, error_code: 404, description: 'Not Found: method not faked' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    apiRoot: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    handedOutAt,
    replyAt,
    push(chatId, text) {
      queue.push({ update_id: nextUpdate++, message: { message_id: nextMessage++, date: Math.floor(Date.now() / 1000), chat: { id: chatId, type: 'private', first_name: 'B' }, from: { id: chatId, is_bot: false, first_name: 'B' }, text } });
      const waiting = pollWaiters;
      pollWaiters = [];
      waiting.forEach((w) => w());
    },
    replies(first, count, timeoutMs) {
      const have = () => {
        let k = 0;
        for (let c = first; c < first + count; c++) if (replyAt.has(c)) k++;
        return k;
      };
      return new Promise((resolveCount) => {
        const finish = () => {
          clearTimeout(timer);
          replyWaiters.delete(check);
          resolveCount(have());
        };
        const check = () => { if (have() === count) finish(); };
        const timer = setTimeout(finish, timeoutMs);
        replyWaiters.add(check);
        check();
      });
    },
    async close() {
      pollWaiters.forEach((w) => w());
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
  } catch {
    return {};
  }
}
