/**
 * The nodes service: the live registry, the command policy, exec approvals, pending invokes and
 * the agent's node tools, behind one object on `GatewayServices` (`services.nodes`).
 *
 * An invoke (from an operator's `node.invoke` or an agent's tool call) goes:
 *   node connected? → command declared and allowlisted? → system.run: allowlisted argv, or an
 *   operator's approval → `node.invoke.request` to that node's socket only → its
 *   `node.invoke.result` (or a timeout, a disconnect, an abort) → the answer.
 */
import {
  GatewayError, SYSTEM_RUN_DEFAULT_TIMEOUT_MS,
  type ExecApprovalEntry, type ExecApprovalRequest, type NodeDescribeResult, type NodeInvokeRequestEvent,
  type NodeInvokeResult, type NodeInvokeResultParams, type NodeSummary,
} from '@switchboard/protocol';
import type { Log } from '../log.js';
import type { Broadcaster } from '../server/broadcaster.js';
import type { Connection } from '../server/connection.js';
import type { ConnectionHooks } from '../server/ws-server.js';
import type { Store } from '../store/store.js';
import type { ToolRegistry } from '../agent/tools.js';
import { ApprovalLog } from '../approvals/log.js';
import { ExecApprovals } from '../approvals/service.js';
import { knownNodes, nameOf, resolveNodeRef, sortNodes, summarize, type KnownNode } from './catalog.js';
import type { NodesOptions } from './options.js';
import { PendingInvokes, type NodeAnswer } from './pending.js';
import { invocableCommands, platformIdOf, refusalReason, serverAllowlist } from './policy.js';
import { NodeRecords } from './records.js';
import { NodeRegistry, type NodeSession } from './registry.js';
import { allowKey, entryKey, formatArgv, parseSystemRunParams, type ExecAllowEntry, type SystemRunParams } from './system-run.js';
import { NodeToolBridge } from './tools.js';
import { nodeInvokeKey } from './invoke-key.js';
import { aborted, commandNotAllowed, denied, disconnected, nodeFailed, unknownNode } from './errors.js';

/** One invoke, from an operator or the agent. */
export interface InvokeRequest {
  nodeId: string;
  command: string;
  params?: unknown;
  /** Wait for the node this long (after any approval); default `nodes.invokeTimeoutMs`. */
  timeoutMs?: number;
  /** The caller's key; the node gets {@link nodeInvokeKey} of it, never the key itself. */
  idempotencyKey?: string;
  /**
   * Who asks, for the node's idempotency key: the operator's idempotency scope, or
   * `agent|<sessionKey>|<runId>`. Keys of different principals never meet on the node.
   */
  principal: string;
  requestedBy: 'operator' | 'agent';
  /** The chat session the invoke serves; recorded on its exec approval. */
  sessionKey?: string;
  /** The agent run that asked (agent tool calls); recorded on its exec approval. */
  runId?: string;
  /** Stops waiting (approval and answer); the node is told to cancel. */
  signal?: AbortSignal;
  /** Called when the invoke starts waiting for an exec approval. */
  onApprovalRequested?(entry: ExecApprovalEntry): void;
}

/** What the service works with. */
export interface NodeServiceDeps {
  options: NodesOptions;
  /** Paired devices, node records and the exec approval record live here. */
  store: Store;
  broadcaster: Broadcaster;
  tools: ToolRegistry;
  log: Log;
}

const SYSTEM_RUN = 'system.run';
/** What the gateway waits beyond a program's timeout: the node's SIGTERM→SIGKILL grace (2 s) and the answer. */
const SYSTEM_RUN_MARGIN_MS = 5_000;

/** The nodes service of one daemon. */
export class NodeService {
  readonly registry = new NodeRegistry();
  readonly records: NodeRecords;
  readonly approvals: ExecApprovals;
  readonly pending: PendingInvokes;
  private readonly bridge: NodeToolBridge;
  private readonly log: Log;
  private closed = false;

  constructor(private readonly deps: NodeServiceDeps) {
    const o = deps.options;
    this.log = deps.log.child({ ns: 'gateway:nodes' });
    this.records = new NodeRecords(deps.store);
    this.approvals = new ExecApprovals({
      log: new ApprovalLog(deps.store, o.maxApprovalRecords), broadcaster: deps.broadcaster, logger: deps.log.child({ ns: 'gateway:approvals' }),
      timeoutMs: o.approvalTimeoutMs, maxPending: o.maxPendingApprovals,
    });
    this.pending = new PendingInvokes({ maxPerNode: o.maxPendingInvokesPerNode, maxTotal: o.maxPendingInvokes });
    this.bridge = new NodeToolBridge(deps.tools, this, this.log);
  }

  get options(): NodesOptions {
    return this.deps.options;
  }

  /** Closes approvals a previous run left open and starts tracking node connections. */
  install(ws: { addHooks(hooks: ConnectionHooks): void }): void {
    this.approvals.start();
    ws.addHooks({ opened: (conn) => this.connected(conn), closed: (conn) => this.disconnected(conn) });
  }

  // ── registry ──────────────────────────────────────────────────────────────────────────────

  private connected(conn: Connection): void {
    const caller = conn.caller!;
    if (caller.role !== 'node' || this.closed) return;
    if (!caller.deviceId) {
      conn.close(1008, 'a node must sign its connect with a device identity');
      return;
    }
    const client = caller.client;
    const platformId = platformIdOf(client.platform, client.deviceFamily);
    const allowlist = serverAllowlist(platformId, this.options.allowCommands, this.options.denyCommands);
    const declared = [...new Set(caller.node?.commands ?? [])];
    const session: NodeSession = {
      nodeId: caller.deviceId, connId: conn.id, conn, caller, platformId, declared,
      invocable: invocableCommands(declared, allowlist), allowlist, connectedAtMs: Date.now(), skills: [], pluginTools: [],
    };
    const previous = this.registry.add(session);
    if (previous) {
      this.pending.failConnection(previous.connId, (command) => disconnected(session.nodeId, command));
      previous.conn.close(1008, 'replaced by a newer connection of the same node');
    }
    try {
      this.records.sighted({
        nodeId: session.nodeId, displayName: client.displayName, platform: client.platform, deviceFamily: client.deviceFamily,
        modelIdentifier: client.modelIdentifier, version: client.version, clientId: client.id, clientMode: client.mode,
        remoteIp: caller.peer.clientAddress, caps: [...caller.caps], commands: declared, connectedAtMs: session.connectedAtMs,
      });
    } catch (err) {
      this.log.error({ err, nodeId: session.nodeId }, 'could not record the node\'s declaration');
    }
    this.log.info({ nodeId: session.nodeId, platform: platformId, declared: declared.length, invocable: session.invocable.length }, 'node connected');
    this.bridge.refresh();
  }

  private disconnected(conn: Connection): void {
    const caller = conn.caller!;
    if (caller.role !== 'node' || !caller.deviceId) return;
    const nodeId = caller.deviceId;
    const failed = this.pending.failConnection(conn.id, (command) => disconnected(nodeId, command));
    if (!this.registry.remove(nodeId, conn.id)) return;
    try {
      this.records.gone(nodeId, Date.now());
    } catch (err) {
      this.log.debug({ err, nodeId }, 'could not record the node\'s disconnect');
    }
    this.log.info({ nodeId, failedInvokes: failed }, 'node disconnected');
    if (!this.closed) this.bridge.refresh();
  }

  // ── catalog ───────────────────────────────────────────────────────────────────────────────

  private known(): Map<string, KnownNode> {
    return knownNodes(this.deps.store.devices.listDevices(), this.records.all(), this.registry.list());
  }

  /** `node.list` entries: connected first. */
  list(): NodeSummary[] {
    return sortNodes([...this.known().values()].map((n) => summarize(n, this.options)));
  }

  /** `node.describe`; throws UNKNOWN_NODE_ID. */
  describe(nodeId: string): NodeDescribeResult {
    const node = this.known().get(nodeId);
    if (!node) throw unknownNode(nodeId);
    const live = node.live;
    return {
      ...summarize(node, this.options),
      ts: Date.now(),
      ...(live?.hostStats ? { hostStats: live.hostStats } : {}),
      ...(live ? { skills: live.skills, pluginTools: live.pluginTools } : {}),
      ...(live?.runnerInventory ? { runnerInventory: live.runnerInventory } : {}),
      ...(live?.eventsDropped ? { eventsDropped: live.eventsDropped } : {}),
      execAllowlist: this.execAllowlist(node),
    };
  }

  /** `node.rename`: sets the operator's label of a paired node. */
  rename(nodeId: string, displayName: string): { nodeId: string; displayName: string } {
    const name = displayName.trim();
    if (!name) throw new GatewayError('INVALID_REQUEST', 'displayName is empty; give the node a name with at least one visible character');
    const node = this.known().get(nodeId);
    if (!node?.device || !this.records.setLabel(nodeId, name)) throw unknownNode(nodeId);
    this.bridge.refresh();
    return { nodeId, displayName: name };
  }

  /** Resolves an id, unique id prefix or display name to a node id. */
  resolve(ref: string): string {
    return resolveNodeRef(ref, this.known());
  }

  /** The display name of a node (its label, else what it reported), or its id. */
  nameOf(nodeId: string): string {
    return nameOf(this.known().get(nodeId) ?? { nodeId }) ?? nodeId;
  }

  /** Display names of the connected nodes, read in one pass (for the agent's tool descriptions). */
  connectedNames(): Map<string, string> {
    const known = this.known();
    return new Map(this.registry.list().map((s) => [s.nodeId, nameOf(known.get(s.nodeId) ?? { nodeId: s.nodeId }) ?? s.nodeId]));
  }

  /**
   * Config entries plus `allow-always` decisions. Config keys match the node id or the label an
   * operator set (`node.rename`), never the name a node reports for itself: any paired node could
   * call itself "build-box".
   */
  private execAllowlist(node: KnownNode): ExecAllowEntry[] {
    const label = node.record?.label?.toLowerCase();
    const fromConfig = Object.entries(this.options.execAllowlist)
      .filter(([key]) => key === node.nodeId || (label !== undefined && key.toLowerCase() === label))
      .flatMap(([, list]) => list);
    const unique = new Map<string, ExecAllowEntry>();
    for (const entry of [...fromConfig, ...this.records.allowlist(node.nodeId)]) unique.set(entryKey(entry), entry);
    return [...unique.values()];
  }

  /** Whether `argv` in `cwd` (undefined: none named) may run on the node without an approval. */
  isAllowlisted(nodeId: string, argv: readonly string[], cwd?: string): boolean {
    const key = allowKey(argv, cwd);
    return this.records.isAllowed(nodeId, argv, cwd)
      || this.execAllowlist(this.known().get(nodeId) ?? { nodeId }).some((entry) => entryKey(entry) === key);
  }

  // ── invoke ────────────────────────────────────────────────────────────────────────────────

  /** Runs a command on a node and resolves with its answer; throws a GatewayError saying why not. */
  async invoke(req: InvokeRequest): Promise<NodeInvokeResult> {
    if (this.closed) throw new GatewayError('UNAVAILABLE', 'the gateway is shutting down; try again when it is back');
    let session = this.sessionFor(req.nodeId, req.command);
    let params = req.params;
    if (req.command === SYSTEM_RUN) {
      const run = parseSystemRunParams(req.params);
      params = run;
      await this.approve(session, run, req);
      session = this.sessionFor(req.nodeId, req.command);
    }
    // system.run: wait as long as the node lets the program run (its own default when the params
    // name none), plus a margin for the kill and the answer — not the shorter invoke default.
    const timeoutMs = req.timeoutMs || (req.command === SYSTEM_RUN
      ? ((params as SystemRunParams).timeoutMs ?? SYSTEM_RUN_DEFAULT_TIMEOUT_MS) + SYSTEM_RUN_MARGIN_MS
      : this.options.invokeTimeoutMs);
    const answer = await this.send(session, req, params, timeoutMs);
    if (!answer.ok) throw nodeFailed(session.nodeId, req.command, answer.error);
    const parsed = answer.payloadJSON !== undefined ? parseJson(answer.payloadJSON) : answer.payload;
    return {
      ok: true, nodeId: session.nodeId, command: req.command,
      ...(parsed !== undefined ? { payload: parsed } : {}),
      ...(answer.payloadJSON !== undefined ? { payloadJSON: answer.payloadJSON } : {}),
    };
  }

  /** The node's current session, if the command may be invoked on it; throws otherwise. */
  private sessionFor(nodeId: string, command: string): NodeSession {
    const session = this.registry.get(nodeId);
    if (!session) {
      if (this.known().get(nodeId)?.device) {
        throw new GatewayError('UNAVAILABLE', `node ${nodeId} is paired but not connected; start its node host (\`switchboard node run --url …\`) and try again`, {
          details: { code: 'NOT_CONNECTED', nodeId },
        });
      }
      throw unknownNode(nodeId);
    }
    const reason = refusalReason(command, session.declared, session.allowlist);
    if (reason) throw commandNotAllowed(session, command, reason);
    return session;
  }

  /** For system.run: passes allowlisted argv, asks the operators otherwise; throws on deny. */
  private async approve(session: NodeSession, run: SystemRunParams, req: InvokeRequest): Promise<void> {
    if (run.env === undefined && this.isAllowlisted(session.nodeId, run.command, run.cwd)) return;
    const request: ExecApprovalRequest = {
      command: formatArgv(run.command), commandArgv: [...run.command], cwd: run.cwd ?? null,
      ...(run.env ? { envKeys: Object.keys(run.env) } : {}),
      nodeId: session.nodeId, nodeName: this.nameOf(session.nodeId), host: 'node', requestedBy: req.requestedBy,
      ...(req.sessionKey ? { sessionKey: req.sessionKey } : {}),
      ...(req.runId ? { runId: req.runId } : {}),
    };
    const outcome = await this.approvals.request(request, { signal: req.signal, onOpened: req.onApprovalRequested });
    if (outcome.decision === 'deny') throw denied(request, outcome, this.options.approvalTimeoutMs);
    if (outcome.decision === 'allow-always') this.records.allow(session.nodeId, run.command, run.cwd, 'allow-always');
  }

  /** Sends `node.invoke.request` to the node's socket and waits for the answer. */
  private async send(session: NodeSession, req: InvokeRequest, params: unknown, timeoutMs: number): Promise<NodeAnswer> {
    if (req.signal?.aborted) throw aborted(req.command);
    const { id, answer } = this.pending.add(session.nodeId, session.connId, req.command, timeoutMs, (invokeId) => this.cancel(session, invokeId));
    const frame: NodeInvokeRequestEvent = {
      id, nodeId: session.nodeId, command: req.command, timeoutMs,
      ...(params !== undefined ? { paramsJSON: JSON.stringify(params) } : {}),
      ...(req.idempotencyKey ? { idempotencyKey: nodeInvokeKey(req.principal, req.command, req.idempotencyKey) } : {}),
    };
    if (!this.deps.broadcaster.sendTo(session.conn, 'node.invoke.request', frame)) {
      this.pending.fail(id, disconnected(session.nodeId, req.command));
    }
    const onAbort = () => {
      if (this.pending.fail(id, aborted(req.command))) this.cancel(session, id);
    };
    req.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await answer;
    } finally {
      req.signal?.removeEventListener('abort', onAbort);
    }
  }

  private cancel(session: NodeSession, invokeId: string): void {
    this.deps.broadcaster.sendTo(session.conn, 'node.invoke.cancel', { invokeId, nodeId: session.nodeId });
  }

  /** `node.invoke.result` from a node: `{ignored:true}` when nobody waits for it. */
  result(callerNodeId: string | undefined, params: NodeInvokeResultParams): { ok: true; ignored?: true } {
    if (!callerNodeId || callerNodeId !== params.nodeId) {
      throw new GatewayError('INVALID_REQUEST', 'nodeId mismatch: a node can only answer for itself (nodeId must be its own device id)', {
        details: { code: 'NODE_ID_MISMATCH' },
      });
    }
    const { ignored } = this.pending.complete(params.id, callerNodeId, params);
    return ignored ? { ok: true, ignored: true } : { ok: true };
  }

  /** Fails pending invokes and approvals, removes the node tools. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.approvals.close();
    this.pending.failAll(new GatewayError('UNAVAILABLE', 'the gateway is shutting down; the node invoke was abandoned'));
    this.bridge.clear();
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
