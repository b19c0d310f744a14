/**
 * A local fake of Discord: REST (`/api/v10/...`: gateway/bot, messages create/edit, typing) and the
 * gateway WebSocket (HELLO, IDENTIFY → READY [+ GUILD_CREATE], heartbeat ACKs, RESUME → RESUMED,
 * MESSAGE_CREATE dispatches), enough for discord.js to run for real against it. Tests can answer
 * 429 with `retry_after`, drop the gateway connection (the client resumes), close it with a code
 * (4014: disallowed intents), and grant or withhold the message content intent.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export const FAKE_DISCORD_BOT = { id: '900000000000000001', username: 'switchboard-test', discriminator: '0', bot: true, global_name: null, avatar: null };
/** Application flag: the message content intent is granted (GatewayMessageContent). */
export const MESSAGE_CONTENT_FLAG = 1 << 18;

export interface DiscordCall {
  method: string;
  path: string;
  body: any;
  at: number;
}

export interface DiscordMessage {
  channelId: string;
  id: string;
  contents: string[];
  replyTo?: string;
}

export interface FakeDiscord {
  /** REST root to configure (`apiRoot`), e.g. http://127.0.0.1:PORT/api. */
  apiRoot: string;
  token: string;
  calls: DiscordCall[];
  sent: DiscordMessage[];
  identifies: any[];
  resumes: number;
  /** Application flags in READY (default: message content granted). */
  applicationFlags: number;
  /** Close every new connection right after IDENTIFY with this code (e.g. 4014). */
  closeOnIdentify?: number;
  guilds: Array<{ id: string; name: string; channels: Array<{ id: string; name: string; type: number }> }>;
  dm(opts: { channelId: string; userId: string; content: string; id?: string; username?: string }): Record<string, any>;
  guildMessage(opts: { guildId: string; channelId: string; userId: string; content: string; mentionBot?: boolean; id?: string }): Record<string, any>;
  /** Sends a MESSAGE_CREATE dispatch (again: a redelivery). */
  dispatch(message: Record<string, any>): void;
  fail(route: string, failure: { status: number; retryAfter?: number; times?: number }): void;
  /** Drops the gateway socket without a close frame's reason (the client resumes). */
  dropConnection(code?: number): void;
  texts(channelId: string): string[];
  waitFor(check: (f: FakeDiscord) => boolean, timeoutMs?: number, what?: string): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeDiscord(options: { token?: string } = {}): Promise<FakeDiscord> {
  const token = options.token ?? `MTAw.fake-discord-token.${Math.random().toString(36).slice(2, 14)}`;
  const calls: DiscordCall[] = [];
  const sent: DiscordMessage[] = [];
  const failures = new Map<string, Array<{ status: number; retryAfter?: number; times?: number }>>();
  const sockets = new Set<WebSocket>();
  let seq = 0;
  let nextId = 1_000_000_000_000_000_000n;
  const snowflake = () => String(nextId++);

  const server: Server = createServer(async (req, res) => {
    const body = await readJson(req);
    const path = (req.url ?? '').replace(/^\/api\/v\d+/, '').split('?')[0];
    const method = req.method ?? 'GET';
    calls.push({ method, path, body, at: Date.now() });
    const answer = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(payload === undefined ? '' : JSON.stringify(payload));
    };
    if (req.headers.authorization !== `Bot ${token}`) return answer(401, { message: '401: Unauthorized', code: 0 });
    const route = `${method} ${path.replace(/\d{5,}/g, ':id')}`;
    const scripted = failures.get(route);
    if (scripted?.length) {
      const f = scripted[0];
      if ((f.times = (f.times ?? 1) - 1) <= 0) scripted.shift();
      if (f.status === 429) return answer(429, { message: 'You are being rate limited.', retry_after: f.retryAfter ?? 1, global: false }, { 'retry-after': String(f.retryAfter ?? 1) });
      return answer(f.status, { message: `error ${f.status}`, code: 0 });
    }
    let m: RegExpExecArray | null;
    if (method === 'GET' && path === '/gateway/bot') {
      return answer(200, { url: `ws://127.0.0.1:${port}`, shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 } });
    }
    if (method === 'POST' && (m = /^\/channels\/(\d+)\/messages$/.exec(path))) {
      const msg: DiscordMessage = { channelId: m[1], id: snowflake(), contents: [body.content], ...(body.message_reference ? { replyTo: body.message_reference.message_id } : {}) };
      sent.push(msg);
      return answer(200, messageObject(msg.channelId, msg.id, body.content, FAKE_DISCORD_BOT));
    }
    if (method === 'PATCH' && (m = /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(path))) {
      const msg = sent.find((s) => s.channelId === m![1] && s.id === m![2]);
      if (!msg) return answer(404, { message: 'Unknown Message', code: 10008 });
      msg.contents.push(body.content);
      return answer(200, messageObject(msg.channelId, msg.id, body.content, FAKE_DISCORD_BOT));
    }
    if (method === 'POST' && /^\/channels\/(\d+)\/typing$/.test(path)) return answer(204, undefined);
    return answer(404, { message: '404: Not Found', code: 0 });
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    const send = (payload: unknown) => { if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(payload)); };
    send({ op: 10, d: { heartbeat_interval: 1000 } });
    ws.on('message', (raw) => {
      const frame = JSON.parse(String(raw));
      if (frame.op === 1) return send({ op: 11 });
      if (frame.op === 2) {
        fake.identifies.push(frame.d);
        if (fake.closeOnIdentify) return ws.close(fake.closeOnIdentify, 'Disallowed intent(s).');
        send({ op: 0, t: 'READY', s: ++seq, d: {
          v: 10, user: FAKE_DISCORD_BOT, guilds: fake.guilds.map((g) => ({ id: g.id, unavailable: true })), session_id: 'session-1',
          resume_gateway_url: `ws://127.0.0.1:${port}`, shard: [0, 1], application: { id: FAKE_DISCORD_BOT.id, flags: fake.applicationFlags },
        } });
        for (const g of fake.guilds) {
          send({ op: 0, t: 'GUILD_CREATE', s: ++seq, d: {
            id: g.id, name: g.name, unavailable: false, owner_id: '1', roles: [], emojis: [], features: [], members: [], presences: [], voice_states: [], threads: [], stickers: [],
            member_count: 2, joined_at: new Date().toISOString(), large: false, afk_timeout: 300, verification_level: 0, default_message_notifications: 0, explicit_content_filter: 0,
            mfa_level: 0, premium_tier: 0, nsfw_level: 0, preferred_locale: 'en-US', system_channel_flags: 0, icon: null, splash: null, banner: null, description: null,
            channels: g.channels.map((c) => ({ ...c, guild_id: g.id, position: 0, permission_overwrites: [] })),
          } });
        }
        return;
      }
      if (frame.op === 6) {
        fake.resumes++;
        return send({ op: 0, t: 'RESUMED', s: ++seq, d: {} });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const broadcast = (t: string, d: unknown) => {
    seq++;
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ op: 0, t, s: seq, d }));
  };

  const fake: FakeDiscord = {
    apiRoot: `http://127.0.0.1:${port}/api`,
    token,
    calls,
    sent,
    identifies: [],
    resumes: 0,
    applicationFlags: MESSAGE_CONTENT_FLAG,
    guilds: [],
    dm(opts) {
      const msg = { ...messageObject(opts.channelId, opts.id ?? snowflake(), opts.content, { id: opts.userId, username: opts.username ?? 'ann', discriminator: '0', global_name: 'Ann', avatar: null }), channel_type: 1 };
      fake.dispatch(msg);
      return msg;
    },
    guildMessage(opts) {
      const author = { id: opts.userId, username: 'ann', discriminator: '0', global_name: 'Ann', avatar: null };
      const msg = {
        ...messageObject(opts.channelId, opts.id ?? snowflake(), opts.mentionBot ? `<@${FAKE_DISCORD_BOT.id}> ${opts.content}` : opts.content, author),
        guild_id: opts.guildId,
        mentions: opts.mentionBot ? [FAKE_DISCORD_BOT] : [],
        member: { roles: [], joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 },
      };
      fake.dispatch(msg);
      return msg;
    },
    dispatch(message) { broadcast('MESSAGE_CREATE', message); },
    fail(route, failure) {
      const list = failures.get(route) ?? [];
      list.push({ ...failure });
      failures.set(route, list);
    },
    dropConnection(code = 4000) { for (const ws of sockets) ws.close(code, 'dropped by the test'); },
    texts: (channelId) => sent.filter((s) => s.channelId === channelId).map((s) => s.contents[s.contents.length - 1]),
    async waitFor(check, timeoutMs = 10_000, what = 'fake discord condition') {
      const end = Date.now() + timeoutMs;
      while (!check(fake)) {
        if (Date.now() > end) throw new Error(`${what} not met within ${timeoutMs} ms; calls: ${calls.map((c) => `${c.method} ${c.path}`).slice(-20).join(', ')}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async close() {
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}

function messageObject(channelId: string, id: string, content: string, author: Record<string, unknown>): Record<string, any> {
  return {
    id, channel_id: channelId, author, content, timestamp: new Date().toISOString(), edited_timestamp: null, tts: false,
    mention_everyone: false, mentions: [], mention_roles: [], attachments: [], embeds: [], pinned: false, type: 0,
  };
}

async function readJson(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}
