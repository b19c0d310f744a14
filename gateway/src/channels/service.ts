/**
 * The channel service (`services.channels`): builds one adapter per configured account from the
 * adapter table, runs each under its own supervisor, owns the inbound pipeline and the outbound
 * path, and answers status, `send`, pairing and the WebChat's chat commands.
 *
 * Lifecycle: `start()` (after the gateway listens) starts the outbound timer, the adapters and the
 * replay of messages a restart left unanswered; `close()` stops the adapters first (nothing new
 * comes in), then the replies and the pumps (deliveries stay in the ledger). Idempotent.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError, type ChannelsStatusResult } from '@switchboard/protocol';
import type { Log } from '../log.js';
import { registerSecret } from '../log.js';
import type { RunManager } from '../runs/manager.js';
import type { Store } from '../store/store.js';
import type { HttpRoute } from '../server/http.js';
import { DEFAULT_ACCOUNT, resolveChannels, type AccountConfig, type ChannelName, type ChannelsConfig, type Platform, type ResolvedChannels } from './config.js';
import { InboundPipeline } from './inbound.js';
import { Outbound, DEFAULT_OUTBOUND_OPTIONS, type DeliveryAlert, type OutboundOptions } from './outbound.js';
import { PairingService } from './pairing.js';
import { factoryFor } from './registry.js';
import { readiness, statusResult, webhookPath } from './status.js';
import { AdapterSupervisor, DEFAULT_SUPERVISOR_OPTIONS, type SupervisorOptions } from './supervisor.js';
import type { ApprovalsPort } from './commands/index.js';
import type { AdapterFactory, ChannelAdapter, WebhookHandler } from './types.js';

/** Largest webhook body accepted (Telegram updates are far smaller). */
const MAX_WEBHOOK_BODY = 1024 * 1024;
/** Finished ledger rows are kept this long (to answer "was it delivered?"), then pruned. */
export const LEDGER_RETENTION_MS = 7 * 24 * 60 * 60_000;
const PRUNE_EVERY_MS = 60 * 60_000;
const PRUNE_BATCH = 5_000;

/** What the service needs. */
export interface ChannelServiceDeps {
  store: Store;
  runs: RunManager;
  log: Log;
  stateDir: string;
  config?: ChannelsConfig;
  /** Replacement adapter factories (tests, embedding). */
  factories?: Partial<Record<Platform, AdapterFactory>>;
  /** Exec approvals (issue 6), when the gateway has them. */
  approvals?: () => ApprovalsPort | undefined;
  /** Broadcasts a `channels.alert`. */
  alert?: (alert: DeliveryAlert & { ts: number }) => void;
  /** Called whenever an account's state changes (health refresh). */
  changed?: () => void;
  supervisor?: Partial<SupervisorOptions>;
  outbound?: Partial<OutboundOptions>;
}

interface Entry {
  account: AccountConfig;
  adapter: ChannelAdapter;
  supervisor: AdapterSupervisor;
  webhook?: WebhookHandler;
}

/** The messaging channels of one gateway. */
export class ChannelService {
  readonly resolved: ResolvedChannels;
  readonly pairing: PairingService;
  readonly outbound: Outbound;
  readonly inbound: InboundPipeline;
  private readonly entries = new Map<string, Entry>();
  private readonly log: Log;
  private unsubscribe: (() => void) | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private started = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly deps: ChannelServiceDeps) {
    this.log = deps.log.child({ ns: 'gateway:channels' });
    this.resolved = resolveChannels(deps.config);
    for (const a of this.resolved.accounts) {
      registerSecret(a.token);
      registerSecret(a.webhook?.secret);
    }
    this.pairing = new PairingService(deps.store);
    this.outbound = new Outbound(deps.store, {
      adapter: (channel, accountId) => {
        const e = this.entries.get(`${channel}:${accountId}`);
        return e && e.supervisor.state === 'connected' ? e.adapter : undefined;
      },
      adapterAny: (channel, accountId) => this.entries.get(`${channel}:${accountId}`)?.adapter,
      sent: (d) => {
        const e = this.entries.get(`${d.channel}:${d.accountId}`);
        if (e) e.supervisor.lastOutboundAt = Date.now();
      },
      alert: (alert) => deps.alert?.({ ...alert, ts: Date.now() }),
    }, this.log.child({ ns: 'channel:outbound' }), { ...DEFAULT_OUTBOUND_OPTIONS, ...deps.outbound });
    this.inbound = new InboundPipeline({
      store: deps.store,
      runs: deps.runs,
      pairing: this.pairing,
      outbound: this.outbound,
      log: this.log,
      policy: (platform) => this.resolved.policies[platform],
      global: () => this.resolved.global,
      adapter: (platform, accountId) => this.entries.get(`${platform}:${accountId}`)?.adapter,
      approvals: () => deps.approvals?.(),
      channelLine: (platform, accountId) => {
        const s = this.entries.get(`${platform}:${accountId}`)?.supervisor.status();
        return s && `${platform} ${s.state}${s.lastError ? ` (${s.lastError})` : ''}`;
      },
    });
  }

  /** Builds the adapters, starts their supervisors, the outbound timer and the replay. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const saved = new Map(this.deps.store.channels.accounts().map((a) => [`${a.platform}:${a.accountId}`, a]));
    for (const account of this.resolved.accounts) {
      const key = `${account.platform}:${account.accountId}`;
      let adapter: ChannelAdapter;
      try {
        adapter = await factoryFor(account.platform, this.deps.factories)(account, { stateDir: this.deps.stateDir, log: this.deps.log.child({ ns: `channel:${account.platform}`, account: account.accountId }) });
      } catch (err) {
        this.log.error({ err, platform: account.platform, account: account.accountId }, 'could not build the channel adapter; the account stays stopped');
        continue;
      }
      const supervisor = new AdapterSupervisor(adapter, {
        receive: (event) => this.inbound.receive(event),
        stateChanged: (s) => this.persistState(s),
        setWebhookHandler: (handler) => { const e = this.entries.get(key); if (e) e.webhook = handler; },
      }, this.deps.log.child({ ns: `channel:${account.platform}`, account: account.accountId }), { ...DEFAULT_SUPERVISOR_OPTIONS, ...this.deps.supervisor });
      const before = saved.get(key);
      if (before) supervisor.restore(before);
      this.entries.set(key, { account, adapter, supervisor });
      if (account.enabled) supervisor.start();
    }
    this.unsubscribe = this.deps.runs.subscribeAll((event) => this.inbound.onRunEvent(event));
    this.outbound.start();
    this.prune();
    this.pruneTimer = setInterval(() => this.prune(), PRUNE_EVERY_MS);
    this.pruneTimer.unref();
    const replayed = this.inbound.replay();
    if (replayed > 0) this.log.info({ replayed }, 'replaying messages a restart left unanswered');
  }

  /** Stops everything; the ledgers keep what is pending. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.pruneTimer);
      await Promise.allSettled([...this.entries.values()].map((e) => e.supervisor.stop()));
      this.inbound.close();
      this.unsubscribe?.();
      await this.outbound.close();
    })();
    return this.closing;
  }

  /** `channels.status`. */
  status(channel?: string): ChannelsStatusResult {
    return statusResult([...this.entries.values()].map((e) => ({ account: e.account, status: e.supervisor.status(), policy: this.resolved.policies[e.account.platform] })), channel);
  }

  /** The health summary's channel fields. */
  health(): { channels: Record<string, unknown>; channelOrder: string[]; channelLabels: Record<string, string> } {
    const s = this.status();
    const channels: Record<string, unknown> = {};
    for (const p of s.channelOrder) channels[p] = { ...(s.channels[p] as object), accounts: s.channelAccounts[p] };
    return { channels, channelOrder: s.channelOrder, channelLabels: s.channelLabels };
  }

  /** `/readyz`. */
  readiness(): { ready: boolean; [key: string]: unknown } {
    return readiness([...this.entries.values()].map((e) => ({ account: e.account, status: e.supervisor.status() })));
  }

  /** The adapter of a configured account (any state). */
  adapter(platform: string, accountId = DEFAULT_ACCOUNT): ChannelAdapter | undefined {
    return this.entries.get(`${platform}:${accountId}`)?.adapter;
  }

  /** `channels.start`: (re)starts one account. */
  async startAccount(channel: string, accountId = DEFAULT_ACCOUNT): Promise<boolean> {
    const e = this.entry(channel, accountId);
    await e.supervisor.stop();
    e.supervisor.start();
    return true;
  }

  /** `channels.stop`: stops one account. */
  async stopAccount(channel: string, accountId = DEFAULT_ACCOUNT): Promise<boolean> {
    await this.entry(channel, accountId).supervisor.stop();
    return true;
  }

  /** The configured account, or INVALID_REQUEST naming the configured ones. */
  entry(channel: string, accountId = DEFAULT_ACCOUNT): Entry {
    const e = this.entries.get(`${channel}:${accountId}`);
    if (e) return e;
    const known = [...this.entries.keys()].join(', ') || 'none';
    throw new GatewayError('INVALID_REQUEST', `no ${channel} account "${accountId}" is configured (configured: ${known}); add it under channels.${channel} in config.yaml`, {
      details: { code: 'UNKNOWN_CHANNEL_ACCOUNT' },
    });
  }

  /** The policy of a channel. */
  policy(channel: ChannelName) {
    return this.resolved.policies[channel];
  }

  /** HTTP route for Telegram webhooks: POST /channels/<platform>/<account>/webhook. */
  readonly httpRoute: HttpRoute = async (req, res) => {
    const m = /^\/channels\/([a-z]+)\/([a-z0-9_-]+)\/webhook$/.exec((req.url ?? '').split('?')[0]);
    if (!m) return false;
    const e = this.entries.get(`${m[1]}:${m[2]}`);
    if (req.method !== 'POST' || !e?.webhook || e.account.mode !== 'webhook' || webhookPath(e.account) !== m[0]) {
      reply(res, 404);
      return true;
    }
    const body = await readBody(req, MAX_WEBHOOK_BODY);
    if (!body) {
      reply(res, 413);
      return true;
    }
    let status = 500;
    try {
      status = await e.webhook({ headers: req.headers, body });
    } catch (err) {
      this.log.warn({ err }, 'webhook handler failed; the platform will redeliver');
    }
    reply(res, status);
    return true;
  };

  /** Deletes ledger rows finished more than {@link LEDGER_RETENTION_MS} ago (bounded batches). */
  private prune(): void {
    const before = Date.now() - LEDGER_RETENTION_MS;
    try {
      const store = this.deps.store;
      const n = store.transaction(() => store.inbound.prune(before, PRUNE_BATCH) + store.outbound.prune(before, PRUNE_BATCH));
      if (n > 0) this.log.debug({ pruned: n }, 'pruned finished channel ledger rows');
    } catch (err) {
      this.log.warn({ err }, 'could not prune the channel ledgers');
    }
  }

  private persistState(s: AdapterSupervisor): void {
    const st = s.status();
    try {
      this.deps.store.transaction(() => this.deps.store.channels.saveAccount({
        platform: st.platform, accountId: st.accountId, state: st.state, updatedAt: Date.now(),
        ...(st.detail ? { detail: st.detail } : {}),
        ...(st.lastError ? { lastError: st.lastError } : {}),
        ...(st.lastInboundAt ? { lastInboundAt: st.lastInboundAt } : {}),
        ...(st.lastOutboundAt ? { lastOutboundAt: st.lastOutboundAt } : {}),
        ...(st.lastConnectedAt ? { lastConnectedAt: st.lastConnectedAt } : {}),
      }));
    } catch (err) {
      this.log.debug({ err }, 'could not save the channel account state');
    }
    // Deliveries parked while the account was down go out as soon as it is back.
    if (st.state === 'connected') this.outbound.resume();
    this.deps.changed?.();
  }
}

function reply(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify({ ok: status < 300 }));
}

/** The request body, or undefined when it exceeds `limit` bytes. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.destroy();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
