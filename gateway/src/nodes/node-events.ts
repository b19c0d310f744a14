/**
 * `node.event`: what a node reports on its own. The payload is size-checked first (INVALID_REQUEST,
 * nothing changes), then each node gets a budget of events ({@link NODE_EVENT_RATE}; the rest are
 * dropped and counted). Host stats are recorded and sent to operators as `node.hostStats`; every
 * other event reaches operators with `operator.read` as `node.reported` — exec lifecycle events as
 * typed, bounded fields only, never the node's raw payload.
 */
import {
  GatewayError, MAX_EXEC_OUTPUT_EXCERPT, MAX_NODE_EVENT_PAYLOAD_BYTES, NODE_EVENT_RATE, NODE_EXEC_EVENTS, NODE_PRESENCE_TRIGGERS,
  type NodeExecReport, type NodeReportedEvent,
} from '@switchboard/protocol';
import type { Log } from '../log.js';
import { takeToken, type BucketSpec } from '../token-bucket.js';
import type { Broadcaster } from '../server/broadcaster.js';
import type { NodeSession } from './registry.js';

/** Largest host-stats document kept per node (JSON text bytes). */
const MAX_HOST_STATS_BYTES = 4096;

/** The answer to `node.event`. */
export interface NodeEventAnswer {
  ok: boolean;
  event: string;
  handled: boolean;
  reason?: string;
}

/** What handling a node event needs besides the session: a logger, the broadcaster, a clock. */
export interface NodeEventDeps {
  log: Log;
  emit: Broadcaster['broadcast'];
  now?: () => number;
}

type NodeEventParams = { event: string; payload?: unknown; payloadJSON?: string | null };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const bytes = (text: string) => Buffer.byteLength(text);

/**
 * The event's payload: `payloadJSON` parsed (when it is a string), else `payload`. Throws
 * INVALID_REQUEST when either is larger than {@link MAX_NODE_EVENT_PAYLOAD_BYTES} or `payloadJSON`
 * is not JSON.
 */
export function eventPayload(params: NodeEventParams): unknown {
  const { payloadJSON } = params;
  if (typeof payloadJSON === 'string') {
    if (bytes(payloadJSON) > MAX_NODE_EVENT_PAYLOAD_BYTES) throw tooLarge('payloadJSON', bytes(payloadJSON));
    try {
      return JSON.parse(payloadJSON);
    } catch {
      throw new GatewayError('INVALID_REQUEST', 'node.event payloadJSON is not valid JSON; send JSON text (JSON.stringify the payload) or send the object as payload', {
        details: { code: 'INVALID_PAYLOAD_JSON' },
      });
    }
  }
  if (params.payload === undefined) return undefined;
  const size = bytes(JSON.stringify(params.payload) ?? '');
  if (size > MAX_NODE_EVENT_PAYLOAD_BYTES) throw tooLarge('payload', size);
  return params.payload;
}

function tooLarge(field: string, size: number): GatewayError {
  return new GatewayError('INVALID_REQUEST', `node.event ${field} is ${size} bytes, more than the ${MAX_NODE_EVENT_PAYLOAD_BYTES} bytes the gateway accepts; send a smaller payload (trim output, send a summary)`, {
    details: { code: 'NODE_EVENT_TOO_LARGE', maxBytes: MAX_NODE_EVENT_PAYLOAD_BYTES },
  });
}

/** The per-node event budget as a token bucket. */
const EVENT_BUCKET: BucketSpec = { ratePerSecond: NODE_EVENT_RATE.perSecond, burst: NODE_EVENT_RATE.burst };

/** Takes one event from the session's budget; false when it is spent (the event is dropped and counted). */
export function takeEventBudget(session: NodeSession, now: number): boolean {
  session.eventBudget ??= { tokens: EVENT_BUCKET.burst, at: now };
  if (takeToken(session.eventBudget, EVENT_BUCKET, now)) return true;
  session.eventsDropped = (session.eventsDropped ?? 0) + 1;
  return false;
}

/** Handles one `node.event` from the caller's session (undefined when it is not the node's current connection). */
export function handleNodeEvent(session: NodeSession | undefined, params: NodeEventParams, deps: NodeEventDeps): NodeEventAnswer {
  const { event } = params;
  const payload = eventPayload(params);
  if (!session) return { ok: true, event, handled: false, reason: 'stale_connection' };
  const now = (deps.now ?? Date.now)();
  if (!takeEventBudget(session, now)) {
    // The count in node.describe is the record; one line per hundred drops keeps a flood out of the log.
    if (session.eventsDropped === 1 || session.eventsDropped! % 100 === 0) {
      deps.log.warn({ nodeId: session.nodeId, dropped: session.eventsDropped }, 'node events over the rate limit dropped');
    }
    return { ok: true, event, handled: false, reason: 'rate_limited' };
  }
  const report = (extra: Partial<NodeReportedEvent>) => deps.emit('node.reported', { nodeId: session.nodeId, event, ts: now, ...extra });
  if (event === 'node.host.stats') {
    if (!isObject(payload) || bytes(JSON.stringify(payload)) > MAX_HOST_STATS_BYTES) return { ok: true, event, handled: false, reason: 'invalid_payload' };
    session.hostStats = payload;
    deps.emit('node.hostStats', { nodeId: session.nodeId, hostStats: payload });
    return { ok: true, event, handled: true, reason: 'updated' };
  }
  if ((NODE_EXEC_EVENTS as readonly string[]).includes(event)) {
    const exec = execReport(payload);
    deps.log.info({ nodeId: session.nodeId, event, runId: exec.runId, exitCode: exec.exitCode, timedOut: exec.timedOut, reason: exec.reason }, 'node exec event');
    report({ exec });
    return { ok: true, event, handled: true };
  }
  if (event === 'node.presence.alive') {
    const trigger = isObject(payload) ? presenceTrigger(payload.trigger) : 'background';
    session.lastSeenAtMs = now;
    session.lastSeenReason = trigger;
    report({ payload: { trigger } });
    return { ok: true, event, handled: true, reason: 'updated' };
  }
  report(payload === undefined ? {} : { payload });
  return { ok: true, event, handled: false, reason: 'unsupported_event' };
}

/** An exec lifecycle payload reduced to typed, bounded fields; anything else the node sent is dropped. */
export function execReport(payload: unknown): NodeExecReport {
  const p = isObject(payload) ? payload : {};
  const exitCode = typeof p.exitCode === 'number' && Number.isSafeInteger(p.exitCode) ? p.exitCode : null;
  const out: NodeExecReport = { exitCode };
  const runId = text(p.runId, 200);
  if (runId) out.runId = runId;
  const sessionKey = text(p.sessionKey, 200);
  if (sessionKey) out.sessionKey = sessionKey;
  const command = text(p.command, 500);
  if (command) out.command = command;
  if (typeof p.timedOut === 'boolean') out.timedOut = p.timedOut;
  if (typeof p.success === 'boolean') out.success = p.success;
  const reason = text(p.reason, 200);
  if (reason) out.reason = reason;
  if (typeof p.output === 'string' && p.output.trim()) {
    const output = p.output.trim();
    // The end of the output is where the error usually is; keep the tail.
    out.output = output.length > MAX_EXEC_OUTPUT_EXCERPT ? output.slice(-MAX_EXEC_OUTPUT_EXCERPT) : output;
    if (output.length > MAX_EXEC_OUTPUT_EXCERPT) out.outputTruncated = true;
  }
  return out;
}

function text(v: unknown, max: number): string | undefined {
  return typeof v === 'string' && v.trim() ? v.trim().slice(0, max) : undefined;
}

function presenceTrigger(v: unknown): string {
  return typeof v === 'string' && (NODE_PRESENCE_TRIGGERS as readonly string[]).includes(v) ? v : 'background';
}
