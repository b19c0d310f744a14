/**
 * A local fake of the Telegram Bot API (HTTP, JSON), enough for grammY to run for real against it:
 * getMe, getUpdates (long poll), sendMessage, editMessageText, sendChatAction, setWebhook,
 * deleteWebhook, getWebhookInfo. Tests push updates and can make it misbehave like the real one:
 * redeliver an update, deliver out of order, answer 429 with `retry_after`, drop the connection,
 * answer 409 (another poller), or refuse the token.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One API call as the fake received it. */
export interface TelegramCall {
  method: string;
  body: Record<string, any>;
  at: number;
}

/** A message the bot sent, with every text it had (edits appended). */
export interface SentMessage {
  chatId: string;
  messageId: number;
  texts: string[];
  replyTo?: number;
  threadId?: number;
}

/** A scripted failure for the next calls of a method. */
export interface Failure {
  status?: number;
  description?: string;
  retryAfter?: number;
  /** Destroy the socket instead of answering. */
  drop?: boolean;
  times?: number;
}

export interface FakeTelegram {
  /** `http://127.0.0.1:PORT` — the apiRoot to configure. */
  apiRoot: string;
  token: string;
  calls: TelegramCall[];
  sent: SentMessage[];
  /** Queues a private-chat (or group) text message from a user; returns its update. */
  message(opts: { chatId: number; userId?: number; text: string; firstName?: string; chatType?: 'private' | 'group' | 'supergroup'; title?: string; messageId?: number; replyToBot?: boolean; entities?: unknown[]; threadId?: number }): Record<string, any>;
  /** Queues a raw update (`force`: deliver it even if its id is below the confirmed offset: a redelivery). */
  push(update: Record<string, any>, force?: boolean): void;
  /** Fails the next calls of `method`. */
  fail(method: string, failure: Failure): void;
  /** Resolves when `check(calls)` holds. */
  waitFor(check: (fake: FakeTelegram) => boolean, timeoutMs?: number, what?: string): Promise<void>;
  /** Messages sent to one chat, in order. */
  chat(chatId: number | string): SentMessage[];
  /** The last text of every message of a chat. */
  texts(chatId: number | string): string[];
  webhook: { url?: string; secret?: string };
  /** Posts an update to the configured webhook URL with the secret header (or `secret`). */
  postWebhook(update: Record<string, any>, secret?: string): Promise<number>;
  close(): Promise<void>;
}

export const FAKE_BOT = { id: 7000001, is_bot: true, first_name: 'Switchboard Test', username: 'switchboard_test_bot' };

/** Starts the fake on a loopback port. `holdMs` caps a long poll (keeps stops quick). */
export async function startFakeTelegram(options: { token?: string; holdMs?: number } = {}): Promise<FakeTelegram> {
  const token = options.token ?? `7000001:AAF${Math.random().toString(36).slice(2, 12)}fake-telegram-token`;
  const holdMs = options.holdMs ?? 500;
  const calls: TelegramCall[] = [];
  const sent: SentMessage[] = [];
  const queue: Array<{ update: Record<string, any>; force: boolean }> = [];
  const failures = new Map<string, Failure[]>();
  let waiters: Array<() => void> = [];
  let confirmed = 0;
  let nextUpdateId = 1000;
  let nextMessageId = 5000;
  let nextUserMessageId = 100;
  const webhook: { url?: string; secret?: string } = {};

  const wake = () => { const w = waiters; waiters = []; w.forEach((f) => f()); };

  const server: Server = createServer(async (req, res) => {
    const m = /^\/bot([^/]+)\/(\w+)$/.exec(req.url ?? '');
    const body = await readJson(req);
    const answer = (status: number, payload: unknown) => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    const ok = (result: unknown) => answer(200, { ok: true, result });
    if (!m) return answer(404, { ok: false, error_code: 404, description: 'Not Found' });
    const [, gotToken, method] = m;
    calls.push({ method, body, at: Date.now() });
    if (gotToken !== token) return answer(401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const scripted = failures.get(method);
    if (scripted?.length) {
      const f = scripted[0];
      if ((f.times = (f.times ?? 1) - 1) <= 0) scripted.shift();
      if (f.drop) { req.socket.destroy(); return; }
      const status = f.status ?? 500;
      return answer(status, { ok: false, error_code: status, description: f.description ?? `Error ${status}`, ...(f.retryAfter !== undefined ? { parameters: { retry_after: f.retryAfter } } : {}) });
    }
    switch (method) {
      case 'getMe': return ok(FAKE_BOT);
      case 'deleteWebhook': delete webhook.url; delete webhook.secret; return ok(true);
      case 'setWebhook': webhook.url = body.url; webhook.secret = body.secret_token; return ok(true);
      case 'getWebhookInfo': return ok({ url: webhook.url ?? '', has_custom_certificate: false, pending_update_count: 0 });
      case 'getUpdates': {
        const offset = Number(body.offset ?? 0);
        if (offset > confirmed) confirmed = offset;
        const deliverable = () => queue.filter((q) => q.force || q.update.update_id >= confirmed);
        if (deliverable().length === 0 && Number(body.timeout ?? 0) > 0) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, Math.min(holdMs, Number(body.timeout) * 1000));
            waiters.push(() => { clearTimeout(timer); resolve(); });
            req.on('close', () => { clearTimeout(timer); resolve(); });
          });
        }
        const batch = deliverable().slice(0, Number(body.limit ?? 100));
        for (const item of batch) queue.splice(queue.indexOf(item), 1);
        // Updates below the offset were confirmed: Telegram forgets them (forced ones are a redelivery).
        for (let i = queue.length - 1; i >= 0; i--) if (!queue[i].force && queue[i].update.update_id < confirmed) queue.splice(i, 1);
        return ok(batch.map((b) => b.update));
      }
      case 'sendMessage': {
        const msg: SentMessage = { chatId: String(body.chat_id), messageId: nextMessageId++, texts: [body.text], ...(body.reply_parameters ? { replyTo: body.reply_parameters.message_id } : {}), ...(body.message_thread_id ? { threadId: body.message_thread_id } : {}) };
        sent.push(msg);
        return ok({ message_id: msg.messageId, date: now(), chat: { id: Number(body.chat_id), type: 'private' }, from: FAKE_BOT, text: body.text });
      }
      case 'editMessageText': {
        const msg = sent.find((s) => s.chatId === String(body.chat_id) && s.messageId === Number(body.message_id));
        if (!msg) return answer(400, { ok: false, error_code: 400, description: 'Bad Request: message to edit not found' });
        if (msg.texts[msg.texts.length - 1] === body.text) return answer(400, { ok: false, error_code: 400, description: 'Bad Request: message is not modified: specified new message content and reply markup are exactly the same' });
        msg.texts.push(body.text);
        return ok({ message_id: msg.messageId, date: now(), chat: { id: Number(body.chat_id), type: 'private' }, text: body.text });
      }
      case 'sendChatAction': return ok(true);
      default: return answer(404, { ok: false, error_code: 404, description: 'Not Found: method not found' });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const fake: FakeTelegram = {
    apiRoot: `http://127.0.0.1:${port}`,
    token,
    calls,
    sent,
    webhook,
    message(opts) {
      const chatType = opts.chatType ?? 'private';
      const userId = opts.userId ?? opts.chatId;
      const text = opts.text;
      const update = {
        update_id: nextUpdateId++,
        message: {
          message_id: opts.messageId ?? nextUserMessageId++,
          date: now(),
          chat: chatType === 'private' ? { id: opts.chatId, type: 'private', first_name: opts.firstName ?? 'Ann' } : { id: opts.chatId, type: chatType, title: opts.title ?? 'Test group', ...(opts.threadId ? { is_forum: true } : {}) },
          from: { id: userId, is_bot: false, first_name: opts.firstName ?? 'Ann' },
          text,
          ...(opts.entities ? { entities: opts.entities } : {}),
          ...(opts.replyToBot ? { reply_to_message: { message_id: 1, date: now(), chat: { id: opts.chatId, type: chatType }, from: FAKE_BOT, text: 'earlier' } } : {}),
          ...(opts.threadId ? { message_thread_id: opts.threadId, is_topic_message: true } : {}),
        },
      };
      fake.push(update);
      return update;
    },
    push(update, force = false) {
      queue.push({ update, force });
      wake();
    },
    fail(method, failure) {
      const list = failures.get(method) ?? [];
      list.push({ ...failure });
      failures.set(method, list);
    },
    async waitFor(check, timeoutMs = 10_000, what = 'fake telegram condition') {
      const end = Date.now() + timeoutMs;
      while (!check(fake)) {
        if (Date.now() > end) throw new Error(`${what} not met within ${timeoutMs} ms; calls: ${calls.map((c) => c.method).slice(-30).join(',')}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    chat: (chatId) => sent.filter((s) => s.chatId === String(chatId)),
    texts: (chatId) => sent.filter((s) => s.chatId === String(chatId)).map((s) => s.texts[s.texts.length - 1]),
    async postWebhook(update, secret) {
      if (!webhook.url) throw new Error('no webhook set');
      const res = await fetch(webhook.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret ?? webhook.secret ?? '' }, body: JSON.stringify(update) });
      return res.status;
    },
    async close() {
      wake();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}

async function readJson(req: IncomingMessage): Promise<Record<string, any>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return {};
  try {
    return JSON.parse(text) as Record<string, any>;
  } catch {
    return {};
  }
}
