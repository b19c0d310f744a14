/**
 * The part of `submit()` that runs inside the durable transaction: find or create the session,
 * find a stored copy of the message (a re-submit), store it, and reserve its place in the
 * session's lane. The reservation is in memory and is taken back ({@link undo}) when the
 * transaction fails, so memory and store never disagree; the manager applies it once on disk.
 */
import { createHash, randomUUID } from 'node:crypto';
import { GatewayError, type QueueMode } from '@switchboard/protocol';
import type { RunLimits } from '../config/limits.js';
import type { Store } from '../store/store.js';
import type { TranscriptEntry } from '../store/transcripts-repo.js';
import { Lane, type PendingRun, type QueuedMessage } from './lane.js';
import { outcomeFromEntries, runFinished, userMessagesOfRun } from './recovery.js';
import type { RunRegistry } from './registry.js';
import type { SubmitRequest, SubmitResult } from './types.js';

/** How many newest entries a re-submitted message is looked for among. */
const RESUBMIT_WINDOW = 1_000;
/** Entries of one run read back when a re-submit finds it (a run is far smaller). */
const RUN_ENTRIES_LIMIT = 2_000;

/** What the intake reads and reserves in. */
export interface IntakeContext {
  store: Store;
  limits: RunLimits;
  registry: RunRegistry;
  /** Lanes with something running or waiting, by session key. */
  lanes: Map<string, Lane>;
}

/** What a submit decided: nothing to run (`none`), or a place in a lane. */
export type Decision =
  | { kind: 'none'; result: SubmitResult }
  | { kind: 'queued'; result: SubmitResult; lane: Lane; pending: PendingRun; message?: QueuedMessage; created: boolean; interrupt: boolean };

/** The text that stops a session's runs instead of starting one. */
export function isStopCommand(text: string): boolean {
  return text.trim().toLowerCase() === '/stop';
}

/** NFC, without control characters other than tab and line breaks (OpenClaw sanitises chat.send alike). */
export function cleanText(text: string): string {
  return text.normalize('NFC').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '');
}

/** Stores the message (or finds it stored) and reserves its place. Call inside the commit. */
export function decide(ctx: IntakeContext, request: SubmitRequest, key: string, agentId: string, now: number): Decision {
  const { store } = ctx;
  const session = store.sessions.get(key) ?? store.sessions.ensure(key, agentId, now, originPatch(request));
  if (request.expectedSessionId && request.expectedSessionId !== session.sessionId) {
    throw new GatewayError('INVALID_REQUEST', `session ${key} is no longer at ${request.expectedSessionId} (it was reset or recreated); reload it and try again`, {
      details: { code: 'SESSION_CHANGED', expectedSessionId: request.expectedSessionId },
    });
  }
  // Registered in the map only with something in it (see reserve()), so an idle lane never lingers.
  const lane = ctx.lanes.get(key) ?? new Lane(key);
  // Only the same caller's key finds its message: another caller's equal key is a new message.
  const stored = store.transcripts.findByIdempotencyKey(session.sessionId, request.idempotencyKey, RESUBMIT_WINDOW, request.idempotencyScope);
  if (stored) {
    // Channels re-submit what they stored (text rebuilt from their ledger), so only callers are checked.
    if (request.idempotencyScope !== undefined) checkSameText(stored, request, key);
    return resubmitted(ctx, stored, lane, request, now);
  }
  const mode: QueueMode = request.mode ?? session.queueMode;
  const place = lane.place(mode);
  if (!lane.idle && lane.waitingMessages >= ctx.limits.maxQueuedPerSession) {
    throw new GatewayError('UNAVAILABLE', `session ${key} already has ${lane.waitingMessages} messages waiting; wait for its runs to finish or abort them`, {
      details: { code: 'SESSION_QUEUE_FULL' },
    });
  }
  const created = !place.join;
  const pending: PendingRun = place.join ?? { runId: newRunId(ctx, request.idempotencyKey, request.idempotencyScope), kind: place.kind, messages: [], timeoutMs: request.timeoutMs, model: request.model };
  const entry = store.transcripts.append(session.sessionId, {
    role: 'user', runId: pending.runId, idempotencyKey: request.idempotencyKey, idempotencyScope: request.idempotencyScope, content: [{ type: 'text', text: request.text }],
    ...(request.origin ? { meta: { origin: request.origin } } : {}),
  }, now);
  const message: QueuedMessage = { inbound: { ...request.origin, text: request.text }, entryId: entry.id, committed: false };
  // Reserve last, after every statement that could throw: undo() only has to take this back.
  pending.messages.push(message);
  if (created) reserve(ctx, lane, pending, session.sessionId);
  const result: SubmitResult = { status: place.status, runId: pending.runId, sessionKey: key, sessionId: session.sessionId, messageSeq: entry.seq, acceptedAt: now };
  return { kind: 'queued', result, lane, pending, message, created, interrupt: place.interrupt };
}

/** Takes back a reservation whose transaction failed. */
export function undo(ctx: IntakeContext, decision: Decision): void {
  if (decision.kind !== 'queued') return;
  const { lane, pending, message } = decision;
  if (message) pending.messages.splice(pending.messages.indexOf(message), 1);
  if (decision.created) {
    lane.remove(pending.runId);
    ctx.registry.drop(pending.runId);
  }
  forgetIfIdle(ctx.lanes, lane);
}

/** Drops a lane with nothing running or waiting from the map. */
export function forgetIfIdle(lanes: Map<string, Lane>, lane: Lane): void {
  if (lane.idle && lanes.get(lane.sessionKey) === lane) lanes.delete(lane.sessionKey);
}

/** A message that is already stored: report its run, or run it again if a restart cut it off. */
function resubmitted(ctx: IntakeContext, stored: TranscriptEntry, lane: Lane, request: SubmitRequest, now: number): Decision {
  const runId = stored.runId ?? stored.id;
  const base = { runId, sessionKey: lane.sessionKey, sessionId: stored.sessionId, messageSeq: stored.seq, acceptedAt: now };
  const tracked = ctx.registry.get(runId);
  if (tracked) return { kind: 'none', result: { ...base, status: tracked.state === 'ended' ? 'completed' : 'in_flight' } };
  const entries = ctx.store.transcripts.runEntries(runId, RUN_ENTRIES_LIMIT).filter((e) => e.sessionId === stored.sessionId);
  if (runFinished(entries)) {
    // Remember how it ended, so wait() (and the agent final) can answer for it.
    ctx.registry.add(runId, lane.sessionKey, stored.sessionId);
    ctx.registry.end(runId, outcomeFromEntries(runId, lane.sessionKey, entries));
    return { kind: 'none', result: { ...base, status: 'completed' } };
  }
  // A caller's retry is answered, not re-run, once the cut-off attempt had called tools: their
  // effects (a node command, say) may have happened, and running again could repeat them.
  if (request.idempotencyScope !== undefined && entries.some((e) => e.role === 'tool')) throw toolsMayHaveRun(runId);
  // Cut off by a restart: run it again with the same id; its earlier attempt stays as interrupted.
  const messages = userMessagesOfRun(entries, stored);
  const pending: PendingRun = { runId, kind: 'single', messages, timeoutMs: request.timeoutMs, model: request.model };
  const status = lane.idle ? 'started' as const : 'queued' as const;
  reserve(ctx, lane, pending, stored.sessionId);
  return { kind: 'queued', result: { ...base, status }, lane, pending, created: true, interrupt: false };
}

/** IDEMPOTENCY_OUTCOME_UNKNOWN for a cut-off run that had started tool calls. */
function toolsMayHaveRun(runId: string): GatewayError {
  return new GatewayError('UNAVAILABLE', `the gateway restarted while run ${runId} was calling tools, so their effects may already have happened and it is not run again; read the session's history and, if needed, send the message again with a new idempotencyKey`, {
    retryable: false,
    details: { code: 'IDEMPOTENCY_OUTCOME_UNKNOWN', runId },
  });
}

/** Adds a new waiting run to a lane (and the lane to the map). */
function reserve(ctx: IntakeContext, lane: Lane, pending: PendingRun, sessionId: string): void {
  lane.pending.push(pending);
  ctx.lanes.set(lane.sessionKey, lane);
  ctx.registry.add(pending.runId, lane.sessionKey, sessionId);
}

/**
 * The run id: the first message's idempotencyKey (as OpenClaw clients expect), unless another
 * caller's run took it; then the key with a short hash of the caller's scope (`<key>~<hash>`), so
 * equal keys of different callers never share a run. A random id only if that is taken too.
 */
function newRunId(ctx: IntakeContext, idempotencyKey: string, scope: string | undefined): string {
  const free = (id: string) => !ctx.registry.has(id) && ctx.store.transcripts.runEntries(id, 1).length === 0;
  if (free(idempotencyKey)) return idempotencyKey;
  const scoped = `${idempotencyKey}~${createHash('sha256').update(scope ?? 'channel').digest('base64url').slice(0, 10)}`;
  return free(scoped) ? scoped : randomUUID();
}

/** A key the same caller already used in this session must come back with the same text. */
function checkSameText(stored: TranscriptEntry, request: SubmitRequest, sessionKey: string): void {
  const block = stored.content?.[0] as { text?: unknown } | undefined;
  if (block?.text === request.text) return;
  throw new GatewayError('INVALID_REQUEST', `idempotencyKey "${request.idempotencyKey}" was already used for a different message in session ${sessionKey}; use a new key for a new message`, {
    details: { code: 'IDEMPOTENCY_KEY_REUSED' },
  });
}

/** Channel and display name of a session a message creates. */
function originPatch(request: SubmitRequest): { channel?: string; displayName?: string } | undefined {
  const o = request.origin;
  if (!o) return undefined;
  const patch: { channel?: string; displayName?: string } = {};
  if (o.channel) patch.channel = o.channel;
  const name = o.group?.title ?? o.sender?.name;
  if (name) patch.displayName = name.slice(0, 200);
  return Object.keys(patch).length ? patch : undefined;
}
