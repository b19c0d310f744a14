/**
 * A run's answer in a chat: typing while the agent works, the reply streamed by editing one
 * message in place (throttled; when the platform rate-limits edits they stop and the final text
 * still lands), tool-progress lines, and the final text through the outbound ledger — once per run,
 * keyed by the run id, so a replay after a restart continues the same message instead of starting
 * a second one. When the final is enqueued, the inbound messages the run answers are marked done
 * in the same commit.
 */
import type { RunEvent, RunOutcome } from '../runs/types.js';
import type { Log } from '../log.js';
import type { Store } from '../store/store.js';
import type { ChatAddress } from '../store/outbound-repo.js';
import type { PlatformPolicy } from './config.js';
import type { Outbound } from './outbound.js';
import { chunkText, previewText } from './chunk.js';
import { sendBuckets } from './rate-limit.js';
import type { ChannelAdapter } from './types.js';

/** Where a run's answer goes. */
export interface ReplyTarget extends ChatAddress {
  threadId?: string;
  /** Quote this message with the first piece (groups). */
  replyTo?: string;
}

/** What a reply needs from the service. */
export interface ReplyDeps {
  store: Store;
  outbound: Outbound;
  log: Log;
  adapter(): ChannelAdapter | undefined;
}

/** Interim edits stop after this many failures in a row (the final text still lands). */
const MAX_EDIT_STRIKES = 3;
/** Typing indicators last about 5 s on Telegram and 10 s on Discord: refresh every 4 s. */
const TYPING_EVERY_MS = 4_000;

/** The answer of one run in one chat. */
export class Reply {
  /** Inbound ledger ids this run answers (marked done with the final). */
  readonly inboundIds = new Set<number>();
  private latest = '';
  private headEnqueued = false;
  private editTimer: NodeJS.Timeout | undefined;
  private typingTimer: NodeJS.Timeout | undefined;
  private lastEditedText = '';
  private editsPausedUntil = 0;
  private strikes = 0;
  private lastTool: string | undefined;
  private ended = false;
  private readonly abort = new AbortController();

  constructor(readonly runId: string, private readonly target: ReplyTarget, private readonly policy: PlatformPolicy, private readonly deps: ReplyDeps) {}

  private get streaming(): boolean {
    return this.policy.streaming && (this.deps.adapter()?.limits.canEdit ?? false);
  }

  /** Handles one event of the run. */
  onEvent(event: RunEvent): void {
    if (this.ended) return;
    switch (event.type) {
      case 'started': this.startTyping(); break;
      case 'delta': this.onDelta(event.text); break;
      case 'tool': if (event.phase === 'start') this.onTool(event.toolCallId, event.name, event.args); break;
      case 'final': void this.finish(event.text, undefined); break;
      case 'error': void this.finish(event.text, `⚠️ The agent failed: ${event.error}`); break;
      case 'aborted':
        if (event.reason === 'shutdown') this.close();
        else void this.finish(event.text, event.reason === 'stop' || event.reason === 'user' ? '(stopped)' : event.reason === 'timeout' ? '⚠️ The answer took too long and was stopped.' : undefined, event.reason === 'interrupt');
        break;
      default: break;
    }
  }

  /** Finishes from an outcome read back after a restart (the run had ended). */
  finishFromOutcome(outcome: RunOutcome): Promise<void> {
    if (outcome.status === 'final') return this.finish(outcome.text, undefined);
    if (outcome.status === 'error') return this.finish(outcome.text, `⚠️ The agent failed: ${outcome.error?.message ?? 'unknown error'}`);
    return this.finish(outcome.text, outcome.abortReason === 'stop' || outcome.abortReason === 'user' ? '(stopped)' : undefined, outcome.abortReason === 'interrupt');
  }

  /** Stops timers without sending anything (gateway stopping: the message is replayed later). */
  close(): void {
    this.ended = true;
    this.abort.abort();
    clearTimeout(this.editTimer);
    clearInterval(this.typingTimer);
  }

  private startTyping(): void {
    if (!this.policy.typing || this.typingTimer) return;
    const tick = () => {
      const adapter = this.deps.adapter();
      if (!adapter || this.ended) return;
      if (!this.deps.outbound.limiter.take(`typing:${this.target.channel}:${this.target.chatId}`, { ratePerSecond: 0.5, burst: 1 }).ok) return;
      adapter.typing(this.target.chatId, this.abort.signal, this.target.threadId).catch(() => undefined);
    };
    tick();
    this.typingTimer = setInterval(tick, TYPING_EVERY_MS);
    this.typingTimer.unref();
  }

  private onDelta(text: string): void {
    this.latest = text;
    if (!this.streaming || !text.trim()) return;
    if (!this.headEnqueued) {
      this.headEnqueued = true;
      void this.enqueue((chat) => {
        this.deps.outbound.enqueueSync(chat, { kind: 'text', text: this.preview(text), purpose: 'stream', ...(this.target.threadId ? { threadId: this.target.threadId } : {}), ...(this.target.replyTo ? { replyTo: this.target.replyTo } : {}) }, `stream:${this.runId}`);
      });
      this.lastEditedText = this.preview(text);
      return;
    }
    if (!this.editTimer) {
      this.editTimer = setTimeout(() => { this.editTimer = undefined; void this.interimEdit(); }, this.policy.editIntervalMs);
      this.editTimer.unref();
    }
  }

  /** An interim edit: best effort, skipped when the chat's bucket is empty or edits are paused. */
  private async interimEdit(): Promise<void> {
    const adapter = this.deps.adapter();
    const text = this.preview(this.latest);
    if (this.ended || !adapter || text === this.lastEditedText || this.strikes >= MAX_EDIT_STRIKES || Date.now() < this.editsPausedUntil) return;
    const head = this.deps.store.channels.deliveryByKey(`stream:${this.runId}`);
    if (!head?.platformMessageId) return;
    if (!this.deps.outbound.limiter.takeAll(sendBuckets(adapter.limits, this.target)).ok) return;
    try {
      await adapter.edit(this.target.chatId, head.platformMessageId, text, this.abort.signal, this.target.threadId);
      this.lastEditedText = text;
      this.strikes = 0;
    } catch (err) {
      this.strikes++;
      const wait = adapter.classify?.(err)?.retryAfterMs;
      if (wait) this.editsPausedUntil = Date.now() + wait;
      this.deps.log.debug({ err, runId: this.runId, strikes: this.strikes }, 'interim edit failed');
    }
  }

  private onTool(toolCallId: string, name: string, args: unknown): void {
    const level = this.policy.toolProgress;
    if (level === 'off' || (level === 'new' && name === this.lastTool)) return;
    this.lastTool = name;
    const preview = level === 'verbose' ? ` ${JSON.stringify(args ?? {}).slice(0, 200)}` : '';
    void this.enqueue((chat) => {
      this.deps.outbound.enqueueTextSync(chat, `🔧 ${name}${preview}`, `tool:${this.runId}:${toolCallId}`, { threadId: this.target.threadId, purpose: 'tool' });
    });
  }

  /** The final text: the head edited to the first piece, further pieces as new messages. */
  private async finish(text: string, suffix: string | undefined, interrupted = false): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.editTimer);
    clearInterval(this.typingTimer);
    this.abort.abort();
    const body = [text.trim(), suffix].filter(Boolean).join('\n\n');
    await this.enqueue((chat) => {
      const now = Date.now();
      const store = this.deps.store;
      const head = store.channels.deliveryByKey(`stream:${this.runId}`);
      if (body && !(interrupted && !head)) {
        if (head) {
          const adapter = this.deps.adapter();
          const [first, ...rest] = chunkText(body, adapter?.limits.maxMessageLength ?? 4096, adapter?.limits.lengthUnit ?? 'utf16');
          const thread = this.target.threadId ? { threadId: this.target.threadId } : {};
          this.deps.outbound.enqueueSync(chat, { kind: 'edit', text: first, targetKey: `stream:${this.runId}`, purpose: 'reply', ...thread }, `final:${this.runId}`, now);
          rest.forEach((piece, i) => this.deps.outbound.enqueueSync(chat, { kind: 'text', text: piece, purpose: 'reply', ...thread }, `reply:${this.runId}:${i + 1}`, now));
        } else {
          this.deps.outbound.enqueueTextSync(chat, body, `reply:${this.runId}`, { threadId: this.target.threadId, replyTo: this.target.replyTo, purpose: 'reply' });
        }
      }
      for (const id of this.inboundIds) store.inbound.markDone(id, now);
    });
  }

  /** Runs `work` with the chat address in one durable commit, then wakes the chat's pump. */
  private async enqueue(work: (chat: ChatAddress) => void): Promise<void> {
    const chat = { channel: this.target.channel, accountId: this.target.accountId, chatId: this.target.chatId };
    try {
      await this.deps.store.commit(() => work(chat));
      this.deps.outbound.kick(chat);
    } catch (err) {
      this.deps.log.error({ err, runId: this.runId }, 'could not enqueue a reply');
    }
  }

  /** Streaming text cut to one message (the final edit carries the whole answer in pieces). */
  private preview(text: string): string {
    const limits = this.deps.adapter()?.limits;
    return previewText(text, limits?.maxMessageLength ?? 4096, limits?.lengthUnit ?? 'utf16');
  }
}
