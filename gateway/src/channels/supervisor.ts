/**
 * One supervisor per adapter: it runs `adapter.start()`, and when the adapter crashes, rejects, or
 * returns without being asked to stop (a disconnect), it restarts that adapter alone with
 * exponential backoff. Nothing the adapter throws — synchronously, asynchronously, or from the
 * runtime callbacks — leaves this class: the daemon cannot be taken down by a channel
 * (user-pain row 18).
 *
 *   stopped ──start()──▶ degraded (connecting) ──adapter reports──▶ connected
 *      ▲                   │  ▲                                        │
 *      │                   │  └──── crash / disconnect: backoff ◀──────┘
 *      └──stop()───────────┴── AdapterFatalError: needs_relink | conflict | stopped (parked)
 *
 * `stop()` aborts the adapter's signal and waits for `start()` to return, so a restarted adapter
 * never overlaps the previous one (Telegram: the old long poll is gone before a new one begins).
 */
import { backoffDelay, sleep } from '../net/retry.js';
import type { Log } from '../log.js';
import { AdapterFatalError, type AdapterRuntime, type AdapterState, type ChannelAdapter, type InboundEvent, type WebhookHandler } from './types.js';

/** Backoff of restarts: first wait, cap, and after how long connected the count resets. */
export interface SupervisorOptions {
  baseDelayMs: number;
  maxDelayMs: number;
  /** A `conflict` (another poller) waits at least this long before the next attempt. */
  conflictDelayMs: number;
  /** A run that stayed up this long resets the backoff. */
  stableMs: number;
}

export const DEFAULT_SUPERVISOR_OPTIONS: SupervisorOptions = { baseDelayMs: 1_000, maxDelayMs: 300_000, conflictDelayMs: 30_000, stableMs: 60_000 };

/** What the service learns from a supervisor. */
export interface SupervisorHooks {
  receive(event: InboundEvent): Promise<{ duplicate: boolean }>;
  stateChanged(supervisor: AdapterSupervisor): void;
  setWebhookHandler(handler: WebhookHandler | undefined): void;
}

/** A snapshot for status, health and /readyz. */
export interface AccountStatus {
  platform: string;
  accountId: string;
  state: AdapterState;
  detail?: string;
  lastError?: string;
  running: boolean;
  restarts: number;
  lastStartAt?: number;
  lastStopAt?: number;
  lastConnectedAt?: number;
  lastInboundAt?: number;
  lastOutboundAt?: number;
  /** Since when the account is in its current state. */
  since: number;
}

/** Runs one adapter and restarts it when it fails. */
export class AdapterSupervisor {
  private stateValue: AdapterState = 'stopped';
  private detail: string | undefined;
  private lastError: string | undefined;
  private since = Date.now();
  private restarts = 0;
  private lastStartAt: number | undefined;
  private lastStopAt: number | undefined;
  private lastConnectedAt: number | undefined;
  lastInboundAt: number | undefined;
  lastOutboundAt: number | undefined;
  private controller: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;

  constructor(readonly adapter: ChannelAdapter, private readonly hooks: SupervisorHooks, private readonly log: Log, private readonly options: SupervisorOptions = DEFAULT_SUPERVISOR_OPTIONS) {}

  get state(): AdapterState {
    return this.stateValue;
  }

  /** Starts the loop (no-op while running). */
  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = this.run().finally(() => { this.loop = undefined; });
  }

  /** Stops the adapter and waits until its `start()` returned. Idempotent. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.controller?.abort(new Error('channel stopping'));
    await this.loop;
    this.set('stopped', this.detail);
  }

  /** Restores what a previous process recorded (shown until the adapter reports). */
  restore(saved: { lastInboundAt?: number; lastOutboundAt?: number; lastConnectedAt?: number; lastError?: string }): void {
    this.lastInboundAt ??= saved.lastInboundAt;
    this.lastOutboundAt ??= saved.lastOutboundAt;
    this.lastConnectedAt ??= saved.lastConnectedAt;
    this.lastError ??= saved.lastError;
  }

  status(): AccountStatus {
    return {
      platform: this.adapter.platform,
      accountId: this.adapter.accountId,
      state: this.stateValue,
      running: this.loop !== undefined,
      restarts: this.restarts,
      since: this.since,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
      ...(this.lastStartAt ? { lastStartAt: this.lastStartAt } : {}),
      ...(this.lastStopAt ? { lastStopAt: this.lastStopAt } : {}),
      ...(this.lastConnectedAt ? { lastConnectedAt: this.lastConnectedAt } : {}),
      ...(this.lastInboundAt ? { lastInboundAt: this.lastInboundAt } : {}),
      ...(this.lastOutboundAt ? { lastOutboundAt: this.lastOutboundAt } : {}),
    };
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopping) {
      const controller = new AbortController();
      this.controller = controller;
      const startedAt = Date.now();
      this.lastStartAt = startedAt;
      // A conflict stays visible while we try again: it is never shown as connecting, let alone connected.
      if (this.stateValue !== 'conflict') this.set('degraded', 'connecting');
      let fatal: AdapterFatalError | undefined;
      try {
        // A synchronous throw inside start() becomes a rejection here, like an asynchronous one.
        await Promise.resolve().then(() => this.adapter.start(this.runtime(controller.signal), controller.signal));
        if (this.stopping) break;
        this.fail(new Error('the connection ended without an error'));
      } catch (err) {
        if (this.stopping) break;
        if (err instanceof AdapterFatalError) fatal = err;
        else this.fail(err);
      } finally {
        controller.abort(new Error('adapter attempt ended'));
        this.hooks.setWebhookHandler(undefined);
        this.lastStopAt = Date.now();
      }
      if (fatal) {
        this.lastError = fatal.message;
        this.set(fatal.state, fatal.message);
        this.log.warn({ state: fatal.state, err: fatal.message }, 'channel account parked');
        if (fatal.state !== 'conflict') break;
      }
      if (Date.now() - startedAt >= this.options.stableMs) attempt = 0;
      attempt++;
      this.restarts++;
      const delay = Math.max(fatal?.state === 'conflict' ? this.options.conflictDelayMs : 0, backoffDelay(attempt, this.options.baseDelayMs, this.options.maxDelayMs));
      try {
        await sleep(delay, this.stopSignal());
      } catch {
        break;
      }
    }
    this.controller = undefined;
  }

  /** A signal that aborts when stop() is called during a backoff wait. */
  private stopSignal(): AbortSignal {
    const c = new AbortController();
    this.controller = c;
    if (this.stopping) c.abort();
    return c.signal;
  }

  private fail(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.lastError = message;
    this.log.warn({ err: message, restarts: this.restarts }, 'channel adapter failed; restarting with backoff');
    if (this.stateValue !== 'conflict') this.set('degraded', message);
  }

  private runtime(signal: AbortSignal): AdapterRuntime {
    return {
      log: this.log,
      receive: async (event) => {
        if (signal.aborted) throw new Error('this adapter attempt has ended');
        const result = await this.hooks.receive(event);
        this.lastInboundAt = Date.now();
        return result;
      },
      setState: (state, detail) => {
        if (signal.aborted || this.stopping) return;
        if (state === 'connected') {
          this.lastConnectedAt = Date.now();
          this.lastError = undefined;
        } else if (detail) this.lastError = detail;
        this.set(state, detail);
      },
      setWebhookHandler: (handler) => {
        if (!signal.aborted) this.hooks.setWebhookHandler(handler);
      },
    };
  }

  private set(state: AdapterState, detail: string | undefined): void {
    const changed = state !== this.stateValue || detail !== this.detail;
    if (state !== this.stateValue) this.since = Date.now();
    this.stateValue = state;
    this.detail = detail;
    if (!changed) return;
    this.log.info({ state, detail }, 'channel account state');
    try {
      this.hooks.stateChanged(this);
    } catch (err) {
      this.log.error({ err }, 'channel state listener threw');
    }
  }
}
