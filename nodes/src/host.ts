/**
 * The headless node host: connects to a gateway with `role: "node"` and its own device identity,
 * declares its caps, commands and permissions, and runs the commands the gateway sends in
 * `node.invoke.request`, answering each with `node.invoke.result`.
 *
 *   idle ──start()──▶ connecting ──hello-ok──▶ connected ◀──▶ reconnecting (SDK backoff)
 *                         │ refused (not paired yet, bad token): log why, retry with backoff
 *   any ──stop()──▶ stopped (running commands are stopped; idempotent)
 *
 * Commands run at most `maxConcurrent` at a time; a repeated request with an idempotency key it
 * has already answered (same command, same params) gets the same answer again instead of running
 * twice; the same key with another command or params is refused.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  SYSTEM_RUN_DEFAULT_TIMEOUT_MS,
  type HelloOk, type NodeInvokeCancelEvent, type NodeInvokeRequestEvent, type NodeInvokeResultParams,
} from '@switchboard/protocol';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy, type GatewayClient } from '@switchboard/sdk';
import { createNodeClient, FileDeviceTokenStore, loadOrCreateIdentity, type NodeDeviceIdentity } from '@switchboard/sdk/node';
import { BUILTIN_COMMANDS, CommandError, type CommandContext, type HostLimits, type NodeCommand } from './commands/index.js';
import { which } from './commands/system-which.js';
import { hostPlatform } from './platform.js';

/** The node host's version, reported in `client.version`. */
export const NODE_HOST_VERSION = '0.1.0';

/** How to run a node host. */
export interface NodeHostOptions {
  /** Gateway WebSocket URL, e.g. `ws://127.0.0.1:18789`. */
  url: string;
  /** The gateway token (first pairing, or when the device token is lost). */
  token?: string;
  password?: string;
  /** Folder of the node's identity (`node.json`) and device tokens (`node-tokens.json`), 0600 files. */
  identityDir: string;
  /** Offer only these built-in commands. Default: all of them. */
  commands?: string[];
  /** More commands (embedders, tests). */
  extraCommands?: NodeCommand[];
  /** Name operators see; default the host name. */
  displayName?: string;
  limits?: Partial<HostLimits>;
  /** Commands running at once; more are answered "busy". Default 8. */
  maxConcurrent?: number;
  backoff?: Partial<BackoffPolicy>;
  /** Environment for PATH lookups and children. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Log sink, one line per call. Default: stderr. */
  log?: (line: string) => void;
}

/** The node host's lifecycle (see the file comment). */
export type NodeHostState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'stopped';

const DEFAULT_LIMITS: HostLimits = { maxOutputBytes: 64 * 1024, defaultRunTimeoutMs: SYSTEM_RUN_DEFAULT_TIMEOUT_MS };
/** Answers remembered by idempotency key. */
const ANSWERED_KEYS = 256;

type Answer = Pick<NodeInvokeResultParams, 'ok' | 'payloadJSON' | 'error'>;

/** A remembered answer and the request it answered (a key only ever answers that request). */
interface Remembered {
  command: string;
  paramsJSON: string | undefined;
  answer: Promise<Answer>;
}

/** Picks the commands to offer; throws a sentence naming the known ones for an unknown name. */
export function selectCommands(names: readonly string[] | undefined, extra: readonly NodeCommand[] = []): Map<string, NodeCommand> {
  const all = new Map<string, NodeCommand>([...Object.values(BUILTIN_COMMANDS), ...extra].map((c) => [c.name, c]));
  if (!names) return all;
  const picked = new Map<string, NodeCommand>();
  for (const name of names) {
    const c = all.get(name);
    if (!c) throw new Error(`unknown node command "${name}"; this node host offers: ${[...all.keys()].join(', ')}`);
    picked.set(name, c);
  }
  return picked;
}

/** A headless node host; see the file comment. `stop()` is idempotent. */
export class NodeHost {
  readonly identity: NodeDeviceIdentity;
  private readonly commands: Map<string, NodeCommand>;
  private readonly limits: HostLimits;
  private readonly env: NodeJS.ProcessEnv;
  private readonly write: (line: string) => void;
  private readonly running = new Map<string, AbortController>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly answered = new Map<string, Remembered>();
  private client: GatewayClient | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stateValue: NodeHostState = 'idle';
  /** The pending start(): settled by the first hello-ok, or rejected by stop(). */
  private first: { resolve(h: HelloOk): void; reject(e: Error): void } | undefined;

  constructor(private readonly options: NodeHostOptions) {
    this.commands = selectCommands(options.commands, options.extraCommands);
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.env = options.env ?? process.env;
    this.write = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.identity = loadOrCreateIdentity(join(options.identityDir, 'node.json'));
  }

  /** The node id operators use: the device id. */
  get nodeId(): string {
    return this.identity.deviceId;
  }

  get state(): NodeHostState {
    return this.stateValue;
  }

  /** Commands this host offers. */
  get commandNames(): string[] {
    return [...this.commands.keys()];
  }

  /** Connects; resolves with the first hello-ok (retrying refusals until then), rejects if stopped first. */
  start(): Promise<HelloOk> {
    if (this.stateValue !== 'idle') return Promise.reject(new Error(`node host already ${this.stateValue}`));
    return new Promise<HelloOk>((resolve, reject) => {
      this.first = { resolve, reject };
      this.connect(0);
    });
  }

  /** Settles the pending start() once. */
  private settleFirst(outcome: HelloOk | Error): void {
    const first = this.first;
    this.first = undefined;
    if (outcome instanceof Error) first?.reject(outcome);
    else first?.resolve(outcome);
  }

  private connect(attempt: number): void {
    if (this.stateValue === 'stopped') return this.settleFirst(new Error('node host stopped'));
    this.stateValue = attempt === 0 ? 'connecting' : 'reconnecting';
    const o = this.options;
    const platform = hostPlatform();
    const client = createNodeClient({
      url: o.url, token: o.token, password: o.password,
      device: this.identity,
      deviceTokens: new FileDeviceTokenStore(join(o.identityDir, 'node-tokens.json'), this.identity.deviceId, o.url),
      client: { id: 'node-host', mode: 'node', version: NODE_HOST_VERSION, platform: platform.platform, deviceFamily: platform.deviceFamily, displayName: o.displayName ?? hostname() },
      role: 'node',
      caps: ['system'],
      commands: this.commandNames,
      permissions: this.permissions(),
      pathEnv: this.env.PATH,
      backoff: o.backoff,
      onStateChange: (s) => {
        if (this.stateValue === 'stopped') return;
        if (s === 'reconnecting' && this.stateValue === 'connected') this.log('connection lost; reconnecting');
        if (s === 'open' || s === 'reconnecting') this.stateValue = s === 'open' ? 'connected' : 'reconnecting';
      },
      onHandshakeError: (err) => this.log(`the gateway refused the connection: ${err.message}`),
    });
    client.on('node.invoke.request', (p) => this.track(this.onInvoke(client, p)));
    client.on('node.invoke.cancel', (p: NodeInvokeCancelEvent) => this.running.get(p.invokeId)?.abort());
    this.client = client;
    client.start().then((hello) => {
      this.stateValue = 'connected';
      this.log(`connected to ${o.url} as node ${this.nodeId} (${this.commandNames.join(', ') || 'no commands'})`);
      this.settleFirst(hello);
    }, () => {
      // The refusal was logged by onHandshakeError (pairing hint included); try again later.
      if (this.stateValue === 'stopped') return this.settleFirst(new Error('node host stopped'));
      const delay = backoffDelay({ ...DEFAULT_BACKOFF, ...o.backoff }, attempt);
      this.log(`retrying in ${Math.round(delay / 1000)} s`);
      this.retryTimer = setTimeout(() => this.connect(attempt + 1), delay);
    });
  }

  private permissions(): Record<string, boolean> {
    return {
      'system.run': this.commands.has('system.run'),
      'system.notify.desktop': this.commands.has('system.notify') && which('notify-send', this.env.PATH) !== undefined,
    };
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async onInvoke(client: GatewayClient, req: NodeInvokeRequestEvent): Promise<void> {
    if (req.nodeId !== this.nodeId) return this.log(`ignored an invoke for another node (${req.nodeId})`);
    const answer = await this.answerOnce(req);
    try {
      await client.call('node.invoke.result', { id: req.id, nodeId: this.nodeId, ...answer });
    } catch (err) {
      this.log(`could not deliver the result of ${req.command}: ${(err as Error).message}`);
    }
  }

  /**
   * Runs the request, or hands back the answer already given (or being worked out) for its
   * idempotency key. A key is bound to its command and params: the same key with other ones is
   * refused, never answered with another request's result. "Busy"-style answers are not kept, so
   * a retry can run.
   */
  private async answerOnce(req: NodeInvokeRequestEvent): Promise<Answer> {
    const key = req.idempotencyKey;
    if (!key) return this.execute(req);
    const seen = this.answered.get(key);
    if (seen && (seen.command !== req.command || seen.paramsJSON !== req.paramsJSON)) {
      return {
        ok: false,
        error: {
          code: 'INVALID_REQUEST',
          message: `idempotency key already used for another request (${seen.command} with other params); send a new idempotencyKey for a different command or params`,
        },
      };
    }
    if (seen) return seen.answer;
    const answer = this.execute(req);
    this.remember(key, { command: req.command, paramsJSON: req.paramsJSON, answer });
    const settled = await answer;
    if (!settled.ok && settled.error?.code === 'UNAVAILABLE' && this.answered.get(key)?.answer === answer) this.answered.delete(key);
    return settled;
  }

  /** Runs one request; never throws. */
  private async execute(req: NodeInvokeRequestEvent): Promise<Answer> {
    const fail = (code: string, message: string): Answer => ({ ok: false, error: { code, message } });
    const command = this.commands.get(req.command);
    if (!command) return fail('UNAVAILABLE', `command not supported by this node host: ${req.command}`);
    if (this.running.size >= (this.options.maxConcurrent ?? 8)) return fail('UNAVAILABLE', `node busy: ${this.running.size} commands are running; try again shortly`);
    let params: unknown;
    try {
      params = req.paramsJSON === undefined ? {} : JSON.parse(req.paramsJSON);
    } catch {
      return fail('INVALID_REQUEST', 'paramsJSON is not valid JSON');
    }
    const abort = new AbortController();
    this.running.set(req.id, abort);
    const ctx: CommandContext = { signal: abort.signal, limits: this.limits, env: this.env, log: (line) => this.log(line) };
    try {
      const payload = await command.run(params, ctx);
      return { ok: true, payloadJSON: JSON.stringify(payload ?? null) };
    } catch (err) {
      if (err instanceof CommandError) return fail(err.code, err.message);
      return fail('ERROR', err instanceof Error ? err.message : String(err));
    } finally {
      this.running.delete(req.id);
    }
  }

  private remember(key: string, entry: Remembered): void {
    this.answered.set(key, entry);
    if (this.answered.size > ANSWERED_KEYS) this.answered.delete(this.answered.keys().next().value as string);
  }

  private log(line: string): void {
    this.write(`node host: ${line}`);
  }

  /** Stops running commands and closes the connection; resolves once commands have ended. Idempotent. */
  async stop(): Promise<void> {
    if (this.stateValue === 'stopped') return;
    this.stateValue = 'stopped';
    clearTimeout(this.retryTimer);
    this.settleFirst(new Error('node host stopped before it connected'));
    for (const abort of this.running.values()) abort.abort();
    await Promise.allSettled([...this.inFlight]);
    this.client?.close();
  }
}

