/**
 * Resolved daemon options: where to listen, where state lives, how clients authenticate, limits.
 * The CLI flags, environment and (later) the config file all end up here.
 */
import { hostname } from 'node:os';
import type { Limits } from './config/limits.js';
import { resolveLimits } from './config/limits.js';
import type { SharedAuthConfig } from './auth/shared-secret.js';
import type { Log } from './log.js';
import type { AgentConfig } from './agent/config.js';
import type { ModelProvider } from './agent/provider.js';
import { resolveNodesOptions, type NodesOptions, type NodesOptionsInput } from './nodes/options.js';
import type { ChannelsConfig, Platform } from './channels/config.js';
import type { AdapterFactory } from './channels/types.js';
import type { OutboundOptions } from './channels/outbound.js';
import type { SupervisorOptions } from './channels/supervisor.js';

export const DEFAULT_PORT = 18789;
export const DEFAULT_HOST = '127.0.0.1';

export interface GatewayOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  stateDir: string;
  auth: SharedAuthConfig;
  /** Proxies (addresses or CIDR ranges) whose X-Forwarded-For / Forwarded headers are believed. */
  trustedProxies: string[];
  /** Extra browser origins allowed to open a WebSocket (the gateway's own origin always is). */
  allowedOrigins: string[];
  limits: Limits;
  /** Host name reported in presence. */
  hostName: string;
  log: Log;
  /** Install SIGTERM/SIGINT handlers (the process entry point does; embedded use does not). */
  handleSignals: boolean;
  /** Directory of the WebChat bundle served at `/`; default: the installed `@switchboard/webchat`; `false` disables it. */
  webchatDir?: string | false;
  /** The `agent` configuration (config file, then environment overrides); selects the provider. */
  agent: AgentConfig;
  /** A ready provider instead of the one `agent` selects (embedding, tests). */
  provider?: ModelProvider;
  /** Device nodes: command allow/deny lists, per-node exec allowlists, approval and invoke timeouts. */
  nodes: NodesOptions;
  /** The `channels` section (config file): messaging accounts and who may talk. */
  channels?: ChannelsConfig;
  /** Replacement channel adapter factories (embedding, tests). */
  channelFactories?: Partial<Record<Platform, AdapterFactory>>;
  /** Delivery retries and adapter restart backoff (defaults suit production; tests shorten them). */
  channelTuning?: { outbound?: Partial<OutboundOptions>; supervisor?: Partial<SupervisorOptions> };
}

export interface GatewayOptionsInput extends Partial<Omit<GatewayOptions, 'limits' | 'log' | 'agent' | 'nodes'>> {
  agent?: AgentConfig;
  nodes?: NodesOptionsInput;
  limits?: Partial<Limits>;
  log: Log;
  stateDir: string;
}

/** Fills defaults in. */
export function resolveOptions(input: GatewayOptionsInput): GatewayOptions {
  return {
    host: input.host ?? DEFAULT_HOST,
    port: input.port ?? DEFAULT_PORT,
    stateDir: input.stateDir,
    auth: input.auth ?? { mode: 'none' },
    trustedProxies: input.trustedProxies ?? [],
    allowedOrigins: input.allowedOrigins ?? [],
    limits: resolveLimits(input.limits),
    hostName: input.hostName ?? hostname(),
    log: input.log,
    handleSignals: input.handleSignals ?? false,
    webchatDir: input.webchatDir,
    agent: input.agent ?? {},
    ...(input.provider ? { provider: input.provider } : {}),
    nodes: resolveNodesOptions(input.nodes),
    ...(input.channels ? { channels: input.channels } : {}),
    ...(input.channelFactories ? { channelFactories: input.channelFactories } : {}),
    ...(input.channelTuning ? { channelTuning: input.channelTuning } : {}),
  };
}
