/**
 * The daemon: one port for HTTP and WebSocket, and the lifecycle around it.
 *
 *   starting ──listen ok──▶ ready ──stop()──▶ draining ──sockets closed──▶ stopped
 *
 * `stop()` is idempotent: it stops accepting, broadcasts `shutdown`, closes every socket with 1012
 * ("service restart") and releases the port and timers.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloseCodes } from '@switchboard/protocol';
import { compileValidators, loadPrecompiledValidators, type PrecompiledValidators, type ProtocolValidators } from '@switchboard/protocol/validators';
import { registerSecret, type Log } from './log.js';
import { resolveOptions, type GatewayOptions, type GatewayOptionsInput } from './options.js';
import { ensureStateDir } from './state-dir.js';
import type { DaemonState, GatewayServices } from './context.js';
import { Broadcaster, ConnectionRegistry } from './server/broadcaster.js';
import { Dispatcher } from './server/dispatcher.js';
import { HttpRoutes } from './server/http.js';
import { WsServer } from './server/ws-server.js';
import { trustedProxyProblem } from './server/forwarded.js';
import { ReplayStore } from './server/replay.js';
import { staticRoute } from './server/static.js';
import { findWebchatDir } from './server/webchat.js';
import { PresenceRegistry } from './state/presence.js';
import { HealthMonitor } from './state/health.js';
import { handlers } from './methods/index.js';
import { GATEWAY_VERSION } from './version.js';
import { ensureGeneratedToken } from './auth/shared-secret.js';
import { SqliteStore, type Store } from './store/store.js';
import { ToolRegistry } from './agent/tools.js';
import { AuthService } from './auth/service.js';
import { checkCredentialPolicy } from './auth/credentials.js';
import { InstanceLock, InstanceLockedError } from './instance-lock.js';
import { startDurableState, type DurableState } from './durable.js';
import { AgentConfigError, createProvider } from './agent/config.js';
import type { ModelProvider } from './agent/provider.js';
import { RunManager } from './runs/manager.js';
import { RunPublisher } from './runs/publisher.js';
import { NodeService } from './nodes/service.js';
import { ChannelService } from './channels/service.js';
import { checkChannels, resolveChannels } from './channels/config.js';
import type { ApprovalsPort } from './channels/commands/index.js';

/** Raised when the daemon refuses to start; the message says how to fix it. */
export class StartupError extends Error {
  /**
   * @param exitCode the process exit code: 78 (EX_CONFIG) for a configuration the daemon refuses, so
   *   a supervisor can stop restarting it (systemd `RestartPreventExitStatus=78`); 1 otherwise.
   */
  constructor(message: string, readonly exitCode: number = 1) {
    super(message);
    this.name = 'StartupError';
  }
}

/** Exit code of a refused configuration (sysexits EX_CONFIG). */
export const EXIT_CONFIG = 78;

/** The provider the `agent` configuration selects; a bad configuration refuses start-up (EX_CONFIG). */
function startupProvider(options: GatewayOptions): ModelProvider {
  try {
    return createProvider(options.agent, { log: options.log.child({ ns: 'agent:provider' }) });
  } catch (err) {
    if (err instanceof AgentConfigError) throw new StartupError(err.message, EXIT_CONFIG);
    throw err;
  }
}

/** Takes the state directory's single-instance lock; a second daemon stops here, naming the first. */
function acquireLock(options: GatewayOptions): InstanceLock {
  try {
    return InstanceLock.acquire(options.stateDir, { host: options.host, version: GATEWAY_VERSION });
  } catch (err) {
    if (err instanceof InstanceLockedError) throw new StartupError(err.message);
    throw err;
  }
}

export interface StopOptions {
  reason?: string;
  restartExpectedMs?: number;
}

export class Gateway {
  private stateValue: DaemonState = 'starting';
  private readonly drain = new AbortController();
  private stopping: Promise<void> | undefined;
  private server!: Server;
  readonly services: GatewayServices;
  readonly http: HttpRoutes;
  readonly ws: WsServer;
  readonly dispatcher: Dispatcher;
  readonly validators: ProtocolValidators;
  readonly durable: DurableState;
  private readonly publisher: RunPublisher;

  private constructor(readonly options: GatewayOptions, store: Store, private readonly lock: InstanceLock, readonly provider: ModelProvider, precompiled?: PrecompiledValidators) {
    const log = options.log;
    // Compile once, at boot: a schema that does not compile stops start-up here, naming the entry.
    // Entries `pnpm build` compiled from the same schema are reused (validators.ts).
    const t0 = performance.now();
    const validators = compileValidators({ precompiled });
    this.validators = validators;
    log.child({ ns: 'gateway' }).debug({ reused: validators.report.reused, compiled: validators.report.compiled.length, ms: Math.round(performance.now() - t0) }, 'validators ready');
    const connections = new ConnectionRegistry();
    const broadcaster = new Broadcaster(connections);
    const replay = new ReplayStore(options.limits.replay);
    broadcaster.setTap(replay);
    let presence: PresenceRegistry;
    let health: HealthMonitor;
    presence = new PresenceRegistry(
      (list) => broadcaster.broadcast('presence', { presence: list }, { stateVersion: { presence: presence.version, health: health.version } }),
      options.hostName,
    );
    health = new HealthMonitor((summary) =>
      broadcaster.broadcast('health', summary, { stateVersion: { presence: presence.version, health: health.version } }));
    const auth = new AuthService({ options, devices: store.devices, broadcaster, connections, log });
    const agentTools = new ToolRegistry({ log });
    const runs = new RunManager({ store, provider, tools: agentTools, agent: options.agent, limits: options.limits.runs, log });
    const nodes = new NodeService({ options: options.nodes, store, broadcaster, tools: agentTools, log });
    const channels = new ChannelService({
      store, runs, log, stateDir: options.stateDir, config: options.channels, factories: options.channelFactories,
      outbound: options.channelTuning?.outbound, supervisor: options.channelTuning?.supervisor,
      // /approve and /deny in a chat resolve the node exec approvals.
      approvals: (): ApprovalsPort => nodes.approvals,
      alert: (alert) => broadcaster.broadcast('channels.alert', { kind: 'delivery_failed', ...alert }),
      changed: () => health.refresh(),
    });
    health.addContributor(() => channels.health());
    this.services = {
      version: GATEWAY_VERSION,
      startedAt: Date.now(),
      options,
      log,
      presence,
      health,
      connections,
      broadcaster,
      replay,
      store,
      auth,
      agentTools,
      runs,
      nodes,
      channels,
      boundPort: () => (this.server?.address() as AddressInfo | null)?.port ?? options.port,
      lifecycle: () => this.stateValue,
    };
    this.dispatcher = new Dispatcher(this.services, handlers, this.validators, this.drain.signal, log.child({ ns: 'gateway:rpc' }));
    this.durable = startDurableState(store, options.limits, log);
    this.publisher = new RunPublisher(runs, broadcaster, store, options.limits.runs.chatDeltaIntervalMs);
    this.dispatcher.setInvoker(this.durable.ledger.invoker);
    this.ws = new WsServer(this.services, this.dispatcher, this.validators, log.child({ ns: 'gateway:ws' }), {
      onSequencedEvent: (conn, seq, frame) => replay.record(conn.id, seq, frame),
    });
    auth.install(this.ws);
    nodes.install(this.ws);
    this.ws.addHooks({
      opened: (conn) => presence.connected(conn.caller!),
      closed: (conn) => {
        presence.disconnected(conn.caller!);
        replay.detach(conn.id);
      },
    });
    this.http = new HttpRoutes(() => this.stateValue === 'ready');
    const webchat = options.webchatDir === false ? undefined : (options.webchatDir ?? findWebchatDir());
    this.http.add(channels.httpRoute);
    this.http.addReadiness('channels', () => channels.readiness());
    if (webchat) this.http.add(staticRoute(webchat));
  }

  /** Validates options, binds the port and starts the timers. */
  static async start(input: GatewayOptionsInput): Promise<Gateway> {
    const options = resolveOptions(input);
    const refusal = checkCredentialPolicy(options.host, options.auth);
    if (refusal) throw new StartupError(refusal, EXIT_CONFIG);
    const proxyProblem = options.trustedProxies.map(trustedProxyProblem).find(Boolean);
    if (proxyProblem) throw new StartupError(proxyProblem, EXIT_CONFIG);
    const channelProblems = checkChannels(resolveChannels(options.channels));
    if (channelProblems.length > 0) throw new StartupError(`the channels configuration cannot run:\n  - ${channelProblems.join('\n  - ')}`, EXIT_CONFIG);
    ensureStateDir(options.stateDir);
    // The lock comes first: nothing in the state directory (not even the generated token) is written
    // by a daemon that does not own it.
    const lock = acquireLock(options);
    let store: SqliteStore | undefined;
    let gateway: Gateway | undefined;
    try {
      if (options.auth.mode === 'token' && !options.auth.token) {
        options.auth = { mode: 'token', token: ensureGeneratedToken(options.stateDir), generated: true };
      }
      registerSecret(options.auth.token);
      registerSecret(options.auth.password);
      const provider = options.provider ?? startupProvider(options);
      const precompiled = await loadPrecompiledValidators();
      if (precompiled.problem) options.log.child({ ns: 'gateway' }).warn(`${precompiled.problem}; compiling the validators now instead`);
      store = SqliteStore.openInStateDir(options.stateDir);
      gateway = new Gateway(options, store, lock, provider, precompiled.table);
      await gateway.listen();
    } catch (err) {
      gateway?.durable.close();
      store?.close();
      lock.release();
      throw err;
    }
    return gateway;
  }

  get state(): DaemonState {
    return this.stateValue;
  }

  /** The bound port. */
  get port(): number {
    return this.services.boundPort();
  }

  /** `ws://host:port` of the control plane. */
  get url(): string {
    const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
    return `ws://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${this.port}`;
  }

  private async listen(): Promise<void> {
    const log = this.options.log;
    this.server = createServer(this.http.handle);
    this.server.on('upgrade', this.ws.handleUpgrade);
    this.server.on('clientError', (_err, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        reject(new StartupError(err.code === 'EADDRINUSE'
          ? `port ${this.options.port} on ${this.options.host} is already in use; stop the other process or pass --port`
          : `cannot listen on ${this.options.host}:${this.options.port}: ${err.message}`));
      };
      this.server.once('error', onError);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    this.server.on('error', (err) => log.error({ err }, 'http server error'));
    this.ws.start();
    this.lock.update({ host: this.options.host, port: this.port });
    this.services.health.start(this.options.limits.healthRefreshMs);
    this.services.replay.start();
    this.stateValue = 'ready';
    await this.services.channels.start();
    log.child({ ns: 'gateway' }).info({ url: this.url, stateDir: this.options.stateDir, authMode: this.options.auth.mode, agent: { provider: this.provider.id, model: this.provider.model } }, 'gateway ready');
  }

  /** Stops the daemon: shutdown event, 1012 close for every socket, port released. Idempotent. */
  stop(options: StopOptions = {}): Promise<void> {
    this.stopping ??= this.doStop(options);
    return this.stopping;
  }

  private async doStop({ reason = 'gateway stopping', restartExpectedMs }: StopOptions): Promise<void> {
    const log = this.options.log.child({ ns: 'gateway' });
    this.stateValue = 'draining';
    // Nodes first: waiting invokes and approvals end as "gateway stopping", not as aborted by their caller.
    this.services.nodes.close();
    this.drain.abort();
    this.ws.stopAccepting();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Channels stop first (nothing new comes in; pending deliveries stay in the ledger), then runs end
    // (interrupted, re-submittable) while clients can still hear it and the store is open.
    await this.services.channels.close();
    await this.services.runs.close();
    this.publisher.close();
    this.services.broadcaster.broadcast('shutdown', { reason, ...(restartExpectedMs !== undefined ? { restartExpectedMs } : {}) });
    const sockets = [...this.services.connections.values()];
    await Promise.all(sockets.map((conn) => new Promise<void>((resolve) => {
      conn.onClosed(resolve);
      conn.close(CloseCodes.SERVICE_RESTART, 'service restart');
    })));
    this.server.closeAllConnections?.();
    await closed;
    this.services.health.stop();
    this.services.replay.stop();
    this.durable.close();
    this.services.store.close();
    this.lock.release();
    this.stateValue = 'stopped';
    log.info({ reason }, 'gateway stopped');
  }
}
