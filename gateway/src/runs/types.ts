/**
 * The run manager's public types: what a caller submits, what it gets back, the events a
 * subscriber receives, and how a run ended. The `chat.send`/`agent` handlers and the messaging
 * channels (issue 7) use exactly these; docs/agent.md ("Run manager API") describes them.
 */
import type { QueueMode } from '@switchboard/protocol';
import type { InboundMessage } from '../agent/prompt.js';
import type { LoopErrorKind } from '../agent/loop.js';
import type { Usage } from '../agent/provider.js';

/** Where a message came from: channel, sender, group, reply context. Every field is untrusted. */
export type RunOrigin = Omit<InboundMessage, 'text'>;

/** One message for a session's agent. */
export interface SubmitRequest {
  /** `agent:<agentId>:<rest>` (or a bare key of the default agent); the session is created if missing. */
  sessionKey: string;
  /** Must match the key's agent when given. */
  agentId?: string;
  /** What the person wrote. */
  text: string;
  origin?: RunOrigin;
  /**
   * Makes the submit happen once per session and caller: a second submit with the same key and
   * scope (a retry, or a channel re-submitting after a restart) finds the stored message instead
   * of storing it again.
   * Use a UUID, or a channel's own message id (`telegram:<chat>:<message>`).
   */
  idempotencyKey: string;
  /**
   * Who the key belongs to: the caller's idempotency-ledger scope (`idempotencyScope(ctx.caller)`).
   * A stored message is a re-submit only for the same scope and the same text (else
   * IDEMPOTENCY_KEY_REUSED); another scope's equal key stores a new message with its own run.
   * Channels leave it out (their keys are their platform message ids).
   */
  idempotencyScope?: string;
  /** Overrides the session's mode for this message. */
  mode?: QueueMode;
  /** Model for the run (else the session's `model`, else the configured one). */
  model?: string;
  /** Run time limit (ms); default `limits.runs.runTimeoutMs`. */
  timeoutMs?: number;
  /** Refuse unless the session's current transcript generation is this one (SESSION_CHANGED). */
  expectedSessionId?: string;
  /** Treat a `/stop` message as the stop command (default true); `agent` passes false. */
  commands?: boolean;
}

/**
 * What a submit did:
 * - `started`: its run starts now (or right after the run it interrupted has stopped);
 * - `queued`: it waits behind the session's running run (queue or collect mode);
 * - `in_flight`: the same idempotencyKey is already waiting or running;
 * - `completed`: the same idempotencyKey was already answered (or aborted);
 * - `stopped`: the message was `/stop`; `runIds` are the runs it aborted.
 */
export type SubmitResult =
  | {
    status: 'started' | 'queued' | 'in_flight' | 'completed';
    runId: string;
    sessionKey: string;
    sessionId: string;
    /** Transcript position of the stored user message. */
    messageSeq: number;
    acceptedAt: number;
  }
  | { status: 'stopped'; sessionKey: string; runIds: string[] };

/** How a caller makes the submit durable; the ledger passes `ctx.commit` so the answer is recorded with it. */
export interface SubmitOptions {
  /** Runs `work` in one durable transaction (default: `store.commit`). Its return value is ignored. */
  commit?: (work: () => SubmitResult) => Promise<unknown>;
}

/** Why a run was stopped before it finished. */
export type AbortReason = 'user' | 'stop' | 'interrupt' | 'timeout' | 'shutdown';

/** What every run event carries. `seq` numbers the run's events from 1. */
interface RunEventBase {
  runId: string;
  sessionKey: string;
  seq: number;
}

/**
 * Events of one run, in order: `accepted` (per stored message) … `started`, then `delta`/`tool`,
 * then exactly one of `final`, `aborted`, `error`. `text` is everything the assistant said in the
 * run so far (tool rounds joined by a blank line); `messageText` is the current model turn only.
 */
export type RunEvent =
  | (RunEventBase & { type: 'accepted'; status: 'started' | 'queued'; messageSeq: number })
  | (RunEventBase & { type: 'started'; startedAt: number; messages: number })
  | (RunEventBase & { type: 'delta'; text: string; delta: string; messageText: string })
  | (RunEventBase & { type: 'tool'; phase: 'start'; toolCallId: string; name: string; args: unknown })
  | (RunEventBase & { type: 'tool'; phase: 'update'; toolCallId: string; name: string; partialResult: unknown })
  | (RunEventBase & { type: 'tool'; phase: 'result'; toolCallId: string; name: string; result: unknown; isError: boolean; errorCode?: string; interrupted?: boolean })
  | (RunEventBase & { type: 'final'; text: string; stopReason: string; startedAt: number; endedAt: number; usage?: Usage })
  | (RunEventBase & { type: 'aborted'; text: string; reason: AbortReason; startedAt?: number; endedAt: number })
  | (RunEventBase & { type: 'error'; text: string; error: string; errorKind: LoopErrorKind; status?: number; retryAfterMs?: number; startedAt: number; endedAt: number });

/** A run event before the manager numbers it (every variant without `seq`). */
export type UnnumberedRunEvent = RunEvent extends infer E ? (E extends unknown ? Omit<E, 'seq'> : never) : never;

/** A subscriber; it must not throw (a throw is logged and ignored). */
export type RunListener = (event: RunEvent) => void;

/** How a run ended (what `wait` resolves with). */
export interface RunOutcome {
  runId: string;
  sessionKey: string;
  status: 'final' | 'aborted' | 'error';
  text: string;
  stopReason: string;
  startedAt?: number;
  endedAt: number;
  abortReason?: AbortReason;
  error?: { message: string; kind: LoopErrorKind };
  usage?: Usage;
}

/** Where a run is, for status and `wait`. */
export type RunState = 'queued' | 'running' | 'ended';

/** A snapshot of one run. */
export interface RunInfo {
  runId: string;
  sessionKey: string;
  state: RunState;
  outcome?: RunOutcome;
}
