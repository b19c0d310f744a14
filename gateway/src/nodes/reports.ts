/**
 * What nodes report on their own: `node.event` (host stats, exec lifecycle) and the declaration
 * updates OpenClaw's node host sends after connecting (skills, plugin tools, runner inventory).
 * Each is recorded on the node's live session for `node.describe`, bounded in size.
 */
import {
  GatewayError,
  type NodeDeclaredTool, type NodePluginToolDescriptor, type NodeSkillDescriptor,
} from '@switchboard/protocol';
import type { Log } from '../log.js';
import type { NodeSession } from './registry.js';

/** Largest host-stats document kept per node (JSON text bytes). */
const MAX_HOST_STATS_BYTES = 4096;
/** Largest runner-inventory declaration kept per node. */
const MAX_INVENTORY_BYTES = 8192;

/** The answer to `node.event`. */
export interface NodeEventAnswer {
  ok: boolean;
  event: string;
  handled: boolean;
  reason?: string;
}

/** The event's payload: `payloadJSON` parsed, else `payload`; undefined when neither is usable. */
export function eventPayload(params: { payload?: unknown; payloadJSON?: string }): unknown {
  if (params.payloadJSON !== undefined) {
    try {
      return JSON.parse(params.payloadJSON);
    } catch {
      return undefined;
    }
  }
  return params.payload;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const fits = (v: unknown, max: number) => Buffer.byteLength(JSON.stringify(v)) <= max;

/** Handles one `node.event` from a registered node. */
export function handleNodeEvent(session: NodeSession | undefined, params: { event: string; payload?: unknown; payloadJSON?: string }, log: Log): NodeEventAnswer {
  const { event } = params;
  if (!session) return { ok: true, event, handled: false, reason: 'node-not-registered' };
  const payload = eventPayload(params);
  if (event === 'node.host.stats') {
    if (!isObject(payload) || !fits(payload, MAX_HOST_STATS_BYTES)) return { ok: true, event, handled: false, reason: 'invalid-payload' };
    session.hostStats = payload;
    return { ok: true, event, handled: true };
  }
  if (event.startsWith('exec.')) {
    // The node's own record of a command it ran; the gateway logs it (bounded fields only).
    const p = isObject(payload) ? payload : {};
    log.info({ nodeId: session.nodeId, event, runId: str(p.runId), exitCode: p.exitCode, reason: str(p.reason) }, 'node exec event');
    return { ok: true, event, handled: true };
  }
  return { ok: true, event, handled: false, reason: 'unsupported-event' };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v.slice(0, 200) : undefined;
}

function unknownNode(): GatewayError {
  return new GatewayError('INVALID_REQUEST', 'unknown nodeId: this connection is not a registered node (it must connect with role node and a device identity)', {
    details: { code: 'UNKNOWN_NODE_ID' },
  });
}

/** `node.skills.update`: replaces the session's skills (names and descriptions are kept). */
export function updateSkills(session: NodeSession | undefined, skills: readonly NodeSkillDescriptor[]): { nodeId: string; skills: NodeDeclaredTool[] } {
  if (!session) throw unknownNode();
  session.skills = skills.map((s) => ({ name: s.name, description: s.description.slice(0, 1000) }));
  return { nodeId: session.nodeId, skills: session.skills };
}

/** `node.pluginTools.update`: replaces the session's plugin tools (names, descriptions, plugin ids). */
export function updatePluginTools(session: NodeSession | undefined, tools: readonly NodePluginToolDescriptor[]): { nodeId: string; tools: NodeDeclaredTool[] } {
  if (!session) throw unknownNode();
  session.pluginTools = tools.map((t) => ({ name: t.name, description: t.description.slice(0, 1000), pluginId: t.pluginId }));
  return { nodeId: session.nodeId, tools: session.pluginTools };
}

/** `node.runnerInventory.update`: records the declaration (Switchboard runs no OpenClaw workers). */
export function updateRunnerInventory(session: NodeSession | undefined, declaration: Record<string, unknown>): { nodeId: string } {
  if (!session) throw unknownNode();
  if (!fits(declaration, MAX_INVENTORY_BYTES)) {
    throw new GatewayError('INVALID_REQUEST', `the runner inventory is larger than ${MAX_INVENTORY_BYTES} bytes; declare less`);
  }
  session.runnerInventory = declaration;
  return { nodeId: session.nodeId };
}
