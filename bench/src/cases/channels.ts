/**
 * Channel benchmarks (issue 7), self-contained: a local fake Telegram Bot API in this process, a
 * daemon spawned from `gateway/dist/main.js` (run `pnpm build` first) whose `config.yaml` points
 * the Telegram channel at it, the built-in echo agent (no delay) answering. Plain numbers for the
 * `pnpm bench` harness; only Node built-ins are used.
 *
 * - {@link telegramThroughput}: N inbound messages (each from its own chat, so the per-chat rate
 *   limit of 1 message/s is not what is measured) handed to the bot at once through `getUpdates`,
 *   until every reply is delivered (`sendMessage` received by the fake): messages per second, and
 *   the daemon's peak RSS.
 * - {@link telegramAddedLatency}: one message at a time; from the fake answering the `getUpdates`
 *   that carries the update to the fake receiving the reply's `sendMessage` (same process, same
 *   clock): the whole path — long-poll answer in, ledger commit (fsync), authorisation, run manager
 *   submit (fsync), echo agent, final enqueue (fsync), pump, rate limit, send — per message.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const DEFAULT_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
const BOT_TOKEN = '7000001:AAFbench-telegram-token-0123456789';
const GATEWAY_TOKEN = 'bench-token-0123456789abcdef-0123456789';

/** Where the daemon comes from. */
export interface ChannelBenchTarget {
  /** Repository root (where gateway/dist/main.js is). Default: found from this file. */
  repoRoot?: string;
  /** Extra Node arguments for the daemon (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
}

/** Shape of {@link telegramThroughput}. */
export interface ThroughputOptions extends ChannelBenchTarget {
  /** Messages, one per chat (default 500). */
  messages?: number;
  /** Longest wait for every reply (default 120 s). */
  timeoutMs?: number;
}

/** Inbound messages through the echo agent to delivered replies. */
export interface ThroughputResult {
  messages: number;
  delivered: number;
  elapsedMs: number;
  messagesPerSecond: number;
  rssIdleMiB: number;
  rssPeakMiB: number;
}

/** Shape of {@link telegramAddedLatency}. */
export interface LatencyOptions extends ChannelBenchTarget {
  /** Measured messages, one at a time, after 5 warm-up ones (default 100). */
  messages?: number;
}

/** Update handed out → reply received, per message, in milliseconds. */
export interface LatencyResult {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Throughput: all messages at once, each from its own chat. */
export async function telegramThroughput(options: ThroughputOptions = {}): Promise<ThroughputResult> {
  const n = options.messages ?? 500;
  return withSetup(options, async ({ fake, pid }) => {
    await roundTrip(fake, 2, 'warm-up');
    await sleep(1_000);
    const rssIdle = rssMiB(pid);
    let rssPeak = rssIdle;
    const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, rssMiB(pid)); }, 100);
    const t0 = performance.now();
    const done = fake.repliesFrom(1_000, n, options.timeoutMs ?? 120_000);
    for (let i = 0; i < n; i++) fake.push(1_000 + i, `message ${i}`);
    const delivered = await done;
    const elapsedMs = performance.now() - t0;
    clearInterval(sampler);
    return { messages: n, delivered, elapsedMs: round(elapsedMs), messagesPerSecond: Math.round(delivered / (elapsedMs / 1000)), rssIdleMiB: rssIdle, rssPeakMiB: rssPeak };
  });
}

/** Added latency: one message at a time. */
export async function telegramAddedLatency(options: LatencyOptions = {}): Promise<LatencyResult> {
  const n = options.messages ?? 100;
  return withSetup(options, async ({ fake }) => {
    const samples: number[] = [];
    for (let i = 0; i < n + 5; i++) {
      const ms = await roundTrip(fake, 10_000 + i, `latency ${i}`);
      if (i >= 5) samples.push(ms);
    }
    samples.sort((a, b) => a - b);
    const at = (q: number) => round(samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]);
    return { samples: samples.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: round(samples[samples.length - 1]) };
  });
}

/** Pushes one message and resolves with update-handed-out → reply-received (ms). */
async function roundTrip(fake: FakeBotApi, chatId: number, text: string): Promise<number> {
  const reply = fake.repliesFrom(chatId, 1, 30_000);
  fake.push(chatId, text);
  await reply;
  return fake.replyAt.get(chatId)! - fake.handedOutAt.get(chatId)!;
}

// ── the fake Bot API ───────────────────────────────────────────────────────────────────────────

interface FakeBotApi {
  apiRoot: string;
  push(chatId: number, text: string): void;
  /** Resolves with how many of the `count` chats from `firstChat` got a reply, once all did (or at the timeout). */
  repliesFrom(firstChat: number, count: number, timeoutMs: number): Promise<number>;
  handedOutAt: Map<number, number>;
  replyAt: Map<number, number>;
  close(): Promise<void>;
}

async function startFakeBotApi(): Promise<FakeBotApi> {
  const queue: Array<Record<string, unknown>> = [];
  let waiters: Array<() => void> = [];
  let nextUpdate = 1;
  let nextMessage = 1;
  const handedOutAt = new Map<number, number>();
  const replyAt = new Map<number, number>();
  let onReply: (() => void) | undefined;
  const server: Server = createServer(async (req, res) => {
    const body = await readJson(req);
    const method = /\/(\w+)$/.exec(req.url ?? '')?.[1];
    const ok = (result: unknown) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ ok: true, result })); };
    if (method === 'getMe') return ok({ id: 7000001, is_bot: true, first_name: 'Bench', username: 'bench_bot' });
    if (method === 'deleteWebhook' || method === 'sendChatAction') return ok(true);
    if (method === 'getUpdates') {
      if (queue.length === 0 && Number(body.timeout ?? 0) > 0) {
        await new Promise<void>((r) => { const t = setTimeout(r, 500); waiters.push(() => { clearTimeout(t); r(); }); });
      }
      const batch = queue.splice(0, Number(body.limit ?? 100));
      const now = performance.now();
      for (const u of batch) handedOutAt.set(((u.message as { chat: { id: number } }).chat.id), now);
      return ok(batch);
    }
    if (method === 'sendMessage' || method === 'editMessageText') {
      const chatId = Number(body.chat_id);
      if (!replyAt.has(chatId)) replyAt.set(chatId, performance.now());
      onReply?.();
      return ok({ message_id: nextMessage++, date: 0, chat: { id: chatId, type: 'private' }, text: body.text });
    }
    res.writeHead(404);
    res.end(JSON.stringify({ ok: false, error_code: 404, description: 'Not Found' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    apiRoot: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    handedOutAt,
    replyAt,
    push(chatId, text) {
      queue.push({ update_id: nextUpdate++, message: { message_id: nextMessage++, date: 0, chat: { id: chatId, type: 'private', first_name: 'B' }, from: { id: chatId, is_bot: false, first_name: 'B' }, text } });
      const w = waiters;
      waiters = [];
      w.forEach((f) => f());
    },
    repliesFrom(first, count, timeoutMs) {
      const have = () => { let k = 0; for (let c = first; c < first + count; c++) if (replyAt.has(c)) k++; return k; };
      return new Promise((resolveCount) => {
        const timer = setTimeout(() => { onReply = undefined; resolveCount(have()); }, timeoutMs);
        onReply = () => { if (have() === count) { clearTimeout(timer); onReply = undefined; resolveCount(count); } };
        onReply();
      });
    },
    async close() {
      waiters.forEach((f) => f());
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

// ── the daemon ─────────────────────────────────────────────────────────────────────────────────

async function withSetup<T>(options: ChannelBenchTarget, body: (s: { fake: FakeBotApi; pid: number }) => Promise<T>): Promise<T> {
  const root = options.repoRoot ?? DEFAULT_ROOT;
  const fake = await startFakeBotApi();
  const stateDir = mkdtempSync(join(tmpdir(), 'switchboard-bench-channels-'));
  writeFileSync(join(stateDir, 'config.yaml'), [
    'version: 1',
    'agent:',
    '  echoDelayMs: 0',
    'channels:',
    '  telegram:',
    '    token: ${BENCH_TG_TOKEN}',
    `    apiRoot: ${fake.apiRoot}`,
    '    pollTimeoutSeconds: 1',
    '    allowAll: true',
    '    typing: false',
    '    streaming:',
    '      enabled: false',
    '',
  ].join('\n'));
  let proc: ChildProcess | undefined;
  try {
    proc = spawn(process.execPath, [...(options.nodeArgs ?? []), join(root, 'gateway', 'dist', 'main.js')], {
      env: { PATH: process.env.PATH, SWITCHBOARD_HOME: stateDir, SWITCHBOARD_PORT: '0', SWITCHBOARD_GATEWAY_TOKEN: GATEWAY_TOKEN, SWITCHBOARD_LOG_LEVEL: 'warn', BENCH_TG_TOKEN: BOT_TOKEN, SWITCHBOARD_LOCK_DIR: join(stateDir, 'locks') },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    await waitForPolling(fake, proc);
    return await body({ fake, pid: proc.pid! });
  } finally {
    if (proc && proc.exitCode === null) {
      proc.kill('SIGTERM');
      await new Promise((r) => proc!.once('exit', r));
    }
    await fake.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** Waits until the daemon answered a first round trip (it polls, the store and agent are warm). */
async function waitForPolling(fake: FakeBotApi, proc: ChildProcess): Promise<void> {
  let stderr = '';
  proc.stderr!.on('data', (d) => { stderr += String(d); });
  const exited = new Promise<never>((_, reject) => proc.once('exit', (code) => reject(new Error(`daemon exited (${code}):\n${stderr}`))));
  exited.catch(() => undefined);
  await Promise.race([roundTrip(fake, 1, 'ready?'), exited]);
}

function rssMiB(pid: number): number {
  try {
    const pages = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
    return round((pages * 4096) / (1024 * 1024));
  } catch {
    return 0;
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
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
