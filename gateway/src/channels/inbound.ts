/**
 * An inbound message's path (docs/architecture.md, "A channel message's path"):
 *
 * 1. `receive()`: recorded in the inbound ledger inside a durable commit — before the adapter
 *    acknowledges the platform. A redelivery (same chat and message id) is a duplicate and stops here.
 * 2. Per chat, in arrival order: the one authorisation function decides (allow, pair, ignore, deny).
 * 3. A chat command runs at once (it never waits behind a run) and its reply is enqueued with the
 *    message marked done, in one commit.
 * 4. Anything else is submitted to the session's runs with the platform message id as its
 *    idempotency key (marked dispatched in the same commit); the run's {@link Reply} streams the
 *    answer and marks the message done with the final text.
 * After a restart {@link InboundPipeline.replay} submits every open message again: an answered run
 * gives its stored outcome, a cut-off one runs again, nothing is stored or answered twice.
 */
import type { Log } from '../log.js';
import type { RunManager } from '../runs/manager.js';
import type { RunOrigin, SubmitResult } from '../runs/types.js';
import type { Store } from '../store/store.js';
import type { InboundRecord } from '../store/inbound-repo.js';
import { DEFAULT_ACCOUNT, type ChannelName, type GlobalPolicy, type PlatformPolicy } from './config.js';
import { authorize } from './policy.js';
import type { PairingService } from './pairing.js';
import type { Outbound } from './outbound.js';
import { Reply, type ReplyTarget } from './reply.js';
import { sessionKeyOf } from './session-key.js';
import { parseCommand, runCommand, type ApprovalsPort, type CommandContext } from './commands/index.js';
import type { ChannelAdapter, InboundEvent } from './types.js';

/** Open messages replayed per start-up pass. */
const REPLAY_BATCH = 500;
/** A message left unanswered longer than this is not answered after a restart: its sender is told. */
export const INBOUND_TTL_MS = 24 * 60 * 60_000;
/** Messages of one chat held in memory for processing; more wait in the ledger for the sweep. */
export const MAX_PENDING_PER_CHAT = 256;
/** How often messages left in the ledger (over the cap) are picked up. */
const SWEEP_EVERY_MS = 5_000;
/** How long a message waits in the ledger before the sweep takes it (it may just be in flight). */
const SWEEP_AFTER_MS = 2_000;
/** How long a replayed message whose run had ended waits for its outcome. */
const OUTCOME_WAIT_MS = 10_000;

/** What the pipeline needs from the service. */
export interface InboundDeps {
  store: Store;
  runs: RunManager;
  pairing: PairingService;
  outbound: Outbound;
  log: Log;
  policy(platform: ChannelName): PlatformPolicy;
  global(): GlobalPolicy;
  adapter(platform: string, accountId: string): ChannelAdapter | undefined;
  approvals(): ApprovalsPort | undefined;
  channelLine(platform: string, accountId: string): string | undefined;
}

/** The ledger key of a message within its account. */
export function platformMessageKey(event: Pick<InboundEvent, 'chatId' | 'messageId'>): string {
  return `${event.chatId}:${event.messageId}`;
}

/** The idempotency key a message is submitted with (stable across restarts). */
export function submitKey(event: Pick<InboundEvent, 'platform' | 'accountId' | 'chatId' | 'messageId'>): string {
  return `${event.platform}:${event.accountId}:${event.chatId}:${event.messageId}`;
}

function chatKeyOf(event: Pick<InboundEvent, 'platform' | 'accountId' | 'chatId'>): string {
  return `${event.platform}\u0000${event.accountId}\u0000${event.chatId}`;
}

/** Text for the agent: the message, or a note of what was attached. */
function agentText(event: InboundEvent): string {
  const notes = event.media.map((m) => `[${m.kind}${m.fileName ? `: ${m.fileName}` : ''} attached]`);
  return [event.text, ...notes].filter((t) => t.trim()).join('\n');
}

/** Where the message came from, as untrusted prompt data. */
function originOf(event: InboundEvent): RunOrigin {
  return {
    channel: event.platform,
    chatType: event.chatType === 'dm' ? 'direct' : 'group',
    sender: { id: event.userId, ...(event.displayName ? { name: event.displayName } : {}), ...(event.username ? { username: event.username } : {}) },
    ...(event.groupTitle || event.chatType !== 'dm' ? { group: { id: event.chatId, ...(event.groupTitle ? { title: event.groupTitle } : {}) } } : {}),
    ...(event.replyTo?.text || event.replyTo?.sender ? { replyTo: { ...(event.replyTo.sender ? { sender: event.replyTo.sender } : {}), ...(event.replyTo.text ? { text: event.replyTo.text } : {}) } } : {}),
    receivedAt: event.sentAt ?? Date.now(),
  };
}

/** Inbound processing and the replies of the runs it started. */
export class InboundPipeline {
  private readonly chains = new Map<string, { tail: Promise<void>; pending: number }>();
  /** Ledger ids scheduled in this process (so the sweep never schedules one twice). */
  private readonly scheduled = new Set<number>();
  /** Chats with messages left in the ledger: new ones queue behind them (via the sweep), keeping order. */
  private readonly overflowed = new Set<string>();
  readonly replies = new Map<string, Reply>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly deps: InboundDeps) {}

  /** Step 1: record before ack. Processing continues in the background, in order per chat. */
  async receive(event: InboundEvent): Promise<{ duplicate: boolean }> {
    const now = Date.now();
    const { store } = this.deps;
    const { record, duplicate } = await store.commit(() => {
      const r = store.inbound.record({ channel: event.platform, accountId: event.accountId, platformMessageId: platformMessageKey(event), chatId: event.chatId, payload: event }, now);
      if (!r.duplicate) store.inbound.markAcknowledged(r.record.id, now);
      return r;
    });
    if (!duplicate) this.schedule(event, record.id, undefined, false);
    return { duplicate };
  }

  /** After a restart: processes every message that was acknowledged but not answered. */
  replay(): number {
    this.expireStale();
    const n = this.sweep(Number.POSITIVE_INFINITY);
    this.sweepTimer ??= setInterval(() => this.sweep(SWEEP_AFTER_MS), SWEEP_EVERY_MS);
    this.sweepTimer.unref();
    return n;
  }

  /** Schedules open messages not scheduled yet and older than `minAgeMs` (the whole backlog at start-up). */
  private sweep(minAgeMs: number): number {
    if (this.closed) return 0;
    const now = Date.now();
    let n = 0;
    const full = new Set<string>();
    for (const record of this.deps.store.inbound.open(REPLAY_BATCH)) {
      if (this.scheduled.has(record.id)) continue;
      // After start-up only messages never dispatched are picked up (a dispatched one has its run).
      if (Number.isFinite(minAgeMs) && (record.status !== 'received' || now - record.receivedAt < minAgeMs)) continue;
      const event = record.payload as InboundEvent | undefined;
      if (event && typeof event === 'object' && 'chatId' in event) {
        if (this.schedule(event, record.id, record, true)) n++;
        else full.add(chatKeyOf(event));
      } else {
        void this.deps.store.commit(() => this.deps.store.inbound.markFailed(record.id, 'no stored payload to replay', Date.now()));
      }
    }
    for (const key of [...this.overflowed]) if (!full.has(key)) this.overflowed.delete(key);
    return n;
  }

  /**
   * Messages that waited longer than {@link INBOUND_TTL_MS} (the gateway was down): marked expired
   * and their senders told, instead of an answer to something long gone — or silence.
   */
  private expireStale(): void {
    const { store } = this.deps;
    const now = Date.now();
    try {
      store.transaction(() => {
        for (const record of store.inbound.expire(now - INBOUND_TTL_MS, now, REPLAY_BATCH)) {
          const event = record.payload as InboundEvent | undefined;
          if (!event?.chatId) continue;
          const when = new Date(record.receivedAt).toISOString().replace('T', ' ').slice(0, 16);
          this.deps.outbound.enqueueTextSync({ channel: record.channel, accountId: record.accountId, chatId: event.chatId },
            `⚠️ I was offline and your message from ${when} UTC expired before I could answer it. Please send it again.`,
            `expired:${record.id}`, { threadId: event.threadId, purpose: 'notice' });
        }
      });
    } catch (err) {
      this.deps.log.warn({ err }, 'could not expire stale inbound messages');
    }
  }

  /** Routes a run event to the reply of its run. */
  onRunEvent(event: Parameters<Reply['onEvent']>[0]): void {
    const reply = this.replies.get(event.runId);
    if (!reply) return;
    reply.onEvent(event);
    if (event.type === 'final' || event.type === 'aborted' || event.type === 'error') this.replies.delete(event.runId);
  }

  /** Stops replies (no more sends); open messages are replayed after the restart. */
  close(): void {
    this.closed = true;
    clearInterval(this.sweepTimer);
    for (const reply of this.replies.values()) reply.close();
    this.replies.clear();
  }

  /**
   * Queues a message behind the others of its chat. Returns false when the chat already holds
   * {@link MAX_PENDING_PER_CHAT} (a flood): the message stays in the ledger for the sweep.
   */
  private schedule(event: InboundEvent, id: number, replayed: InboundRecord | undefined, fromLedger: boolean): boolean {
    const key = chatKeyOf(event);
    const chain = this.chains.get(key) ?? { tail: Promise.resolve(), pending: 0 };
    if (this.scheduled.has(id) || (!fromLedger && this.overflowed.has(key))) return false;
    if (chain.pending >= MAX_PENDING_PER_CHAT) {
      this.overflowed.add(key);
      return false;
    }
    chain.pending++;
    this.scheduled.add(id);
    const tail = chain.tail.then(() => this.process(event, id, replayed)).catch((err) => {
      this.deps.log.error({ err, platform: event.platform, chatId: event.chatId }, 'inbound message processing failed');
      return this.deps.store.commit(() => this.deps.store.inbound.markFailed(id, err instanceof Error ? err.message : String(err), Date.now())).then(() => undefined, () => undefined);
    }).finally(() => {
      chain.pending--;
      this.scheduled.delete(id);
      if (chain.pending === 0 && this.chains.get(key) === chain) this.chains.delete(key);
    });
    chain.tail = tail;
    this.chains.set(key, chain);
    return true;
  }

  private async process(event: InboundEvent, id: number, replayed?: InboundRecord): Promise<void> {
    if (this.closed) return;
    const { store, pairing, log } = this.deps;
    const policy = this.deps.policy(event.platform);
    const decision = authorize({ ...event, paired: pairing.isPaired(event.platform, event.userId) }, policy, this.deps.global());
    log.debug({ platform: event.platform, chatType: event.chatType, decision: decision.decision, reason: decision.reason }, 'inbound message');
    if (decision.decision === 'deny' || decision.decision === 'ignore') {
      await store.commit(() => store.inbound.markDone(id, Date.now()));
      return;
    }
    if (decision.decision === 'pair') {
      await this.offerPairing(event);
      await store.commit(() => store.inbound.markDone(id, Date.now()));
      return;
    }
    const adapter = this.deps.adapter(event.platform, event.accountId);
    const command = parseCommand(event.text, adapter?.botUsername);
    const sessionKey = sessionKeyOf(event, policy);
    if (command) {
      const text = await runCommand(this.commandContext(event, sessionKey, policy), command);
      const chat = { channel: event.platform, accountId: event.accountId, chatId: event.chatId };
      await store.commit(() => {
        if (text) this.deps.outbound.enqueueTextSync(chat, text, `cmd:${submitKey(event)}`, { threadId: event.threadId, purpose: 'command' });
        store.inbound.markDone(id, Date.now());
      });
      this.deps.outbound.kick(chat);
      return;
    }
    await this.submit(event, sessionKey, policy, agentText(event), submitKey(event), id, replayed !== undefined);
  }

  /** Submits a message and attaches the reply of its run. */
  private async submit(event: InboundEvent, sessionKey: string, policy: PlatformPolicy, text: string, key: string, inboundId: number | undefined, replayed: boolean): Promise<void> {
    const { store, runs } = this.deps;
    if (!text.trim()) {
      if (inboundId !== undefined) await store.commit(() => store.inbound.markDone(inboundId, Date.now()));
      return;
    }
    const result = await runs.submit({ sessionKey, text, origin: originOf(event), idempotencyKey: key }, {
      commit: (work) => store.commit(() => {
        const r = work();
        if (inboundId !== undefined) store.inbound.markDispatched(inboundId, Date.now());
        return r;
      }),
    });
    if (result.status === 'stopped') {
      if (inboundId !== undefined) await store.commit(() => store.inbound.markDone(inboundId, Date.now()));
      return;
    }
    const reply = this.replyFor(result, event, policy);
    if (inboundId !== undefined) reply.inboundIds.add(inboundId);
    if (result.status === 'completed') {
      // Answered before a restart (or a redelivery raced it): finish from the stored outcome.
      this.replies.delete(result.runId);
      const outcome = await runs.wait(result.runId, OUTCOME_WAIT_MS).catch(() => undefined);
      if (outcome) await reply.finishFromOutcome(outcome);
    } else if (replayed) {
      this.deps.log.info({ runId: result.runId, status: result.status }, 'replayed an unanswered message');
    }
  }

  private replyFor(result: Extract<SubmitResult, { runId: string }>, event: InboundEvent, policy: PlatformPolicy): Reply {
    const existing = this.replies.get(result.runId);
    if (existing) return existing;
    const target: ReplyTarget = {
      channel: event.platform, accountId: event.accountId, chatId: event.chatId,
      ...(event.threadId ? { threadId: event.threadId } : {}),
      ...(event.chatType !== 'dm' ? { replyTo: event.messageId } : {}),
    };
    const reply = new Reply(result.runId, target, policy, {
      store: this.deps.store, outbound: this.deps.outbound, log: this.deps.log,
      adapter: () => this.deps.adapter(event.platform, event.accountId),
    });
    this.replies.set(result.runId, reply);
    return reply;
  }

  /** Sends a pairing code to an unknown DM sender (not through the ledger: the code is never stored). */
  private async offerPairing(event: InboundEvent): Promise<void> {
    const outcome = await this.deps.pairing.request({ platform: event.platform, accountId: event.accountId, userId: event.userId, chatId: event.chatId, ...(event.displayName ? { displayName: event.displayName } : {}) });
    if (!outcome.issued) {
      this.deps.log.info({ platform: event.platform, reason: outcome.reason }, 'pairing request not issued');
      return;
    }
    const adapter = this.deps.adapter(event.platform, event.accountId);
    if (!adapter) return;
    const account = event.accountId === DEFAULT_ACCOUNT ? '' : ` (account ${event.accountId})`;
    const text = [
      `Hi! I don't know you yet. Your pairing code is ${outcome.code}.`,
      `Ask the operator of this bot to run: switchboard pairing approve ${event.platform} ${outcome.code}${account}`,
      'The code expires in 1 hour.',
    ].join('\n');
    try {
      await this.deps.outbound.sendEphemeral(adapter, { channel: event.platform, accountId: event.accountId, chatId: event.chatId }, text, event.threadId);
    } catch (err) {
      this.deps.log.warn({ err, platform: event.platform }, 'could not send a pairing code');
    }
  }

  private commandContext(event: InboundEvent, sessionKey: string, policy: PlatformPolicy): CommandContext {
    return {
      sessionKey,
      platform: event.platform,
      userId: event.userId,
      ...(event.displayName ? { displayName: event.displayName } : {}),
      origin: originOf(event),
      store: this.deps.store,
      runs: this.deps.runs,
      approvals: this.deps.approvals(),
      canApprove: policy.approvers.has(event.userId),
      channelLine: this.deps.channelLine(event.platform, event.accountId),
      submit: (text, key) => this.submit(event, sessionKey, policy, text, key, undefined, false),
      now: Date.now,
    };
  }
}
