/**
 * What a method handler gets: the caller, the daemon's services, a logger, an abort signal and
 * `emit()`. Handlers are `(ctx, params) => result` functions; they never see a socket.
 */
import type { CallableMethod, Methods, ParamsOf, ResultOf, FinalOf } from '@switchboard/protocol';
import type { Log } from './log.js';
import type { CallerInfo } from './server/connection.js';
import type { Broadcaster, ConnectionRegistry } from './server/broadcaster.js';
import type { PresenceRegistry } from './state/presence.js';
import type { HealthMonitor } from './state/health.js';
import type { GatewayOptions } from './options.js';
import type { Store } from './store/store.js';
import type { ReplayStore } from './server/replay.js';
import type { AuthService } from './auth/service.js';
import type { ToolRegistry } from './agent/tools.js';
import type { RunManager } from './runs/manager.js';
import type { NodeService } from './nodes/service.js';
import type { ChannelService } from './channels/service.js';

/** Daemon lifecycle: starting → ready → draining → stopped. */
export type DaemonState = 'starting' | 'ready' | 'draining' | 'stopped';

/** The long-lived parts of the daemon that handlers use. Each area adds its service here. */
export interface GatewayServices {
  readonly version: string;
  readonly startedAt: number;
  readonly options: GatewayOptions;
  readonly log: Log;
  readonly presence: PresenceRegistry;
  readonly health: HealthMonitor;
  readonly connections: ConnectionRegistry;
  readonly broadcaster: Broadcaster;
  /** Replay rings of connections that asked for resume. */
  readonly replay: ReplayStore;
  /** The one durable store (SQLite in the state directory). */
  readonly store: Store;
  /** Access control: the connect pipeline, rate limits, pairing events, disconnecting devices. */
  readonly auth: AuthService;
  /** Tools the agent may call in runs (device-node commands register here). */
  readonly agentTools: ToolRegistry;
  /** Agent runs per session: submit, subscribe, abort, wait (docs/agent.md, "Run manager API"). */
  readonly runs: RunManager;
  /** Connected nodes, node invokes, exec approvals (gateway/src/nodes/, gateway/src/approvals/). */
  readonly nodes: NodeService;
  /** Messaging channels: adapters, supervisors, pairing, the inbound and outbound paths (gateway/src/channels/). */
  readonly channels: ChannelService;
  /** The port actually bound (differs from options.port when that was 0). */
  boundPort(): number;
  lifecycle(): DaemonState;
}

export interface MethodContext<M extends CallableMethod = CallableMethod> {
  readonly caller: CallerInfo;
  readonly services: GatewayServices;
  /** Child logger with the method name bound. */
  readonly log: Log;
  /** Aborted when the daemon starts draining; long handlers stop early. */
  readonly signal: AbortSignal;
  /** The request frame id. */
  readonly requestId: string;
  readonly method: M;
  /** Broadcasts an event from the event table. */
  emit: Broadcaster['broadcast'];
  /**
   * For two-answer methods (`agent`): sends the second `res` with the same request id, if the caller
   * is still connected. Ignored for other methods.
   */
  sendFinal(payload: FinalOf<Methods[M]>): void;
  /**
   * Runs `effect` (synchronous store writes) in one durable transaction and resolves with its
   * return value once it is on disk. For side-effect methods the idempotency ledger records that
   * value as this request's answer in the same transaction, so the effect and its recorded answer
   * are atomic: return what `commit` resolved to. Call it at most once per request.
   */
  commit<T>(effect: () => T): Promise<T>;
}

/** A method handler. */
export type Handler<M extends CallableMethod> = (
  ctx: MethodContext<M>,
  params: ParamsOf<Methods[M]>,
) => ResultOf<Methods[M]> | Promise<ResultOf<Methods[M]>>;

/** One handler per callable method; the compiler rejects a table entry without a handler. */
export type HandlerTable = { [M in CallableMethod]: Handler<M> };
