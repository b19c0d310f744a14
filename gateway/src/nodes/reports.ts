/**
 * The declaration updates OpenClaw's node host sends after connecting (skills, plugin tools, runner
 * inventory). Each is recorded on the node's live session for `node.describe`, bounded in size.
 * `node.event` is in node-events.ts.
 */
import {
  GatewayError,
  type NodeDeclaredTool, type NodePluginToolDescriptor, type NodeSkillDescriptor,
} from '@switchboard/protocol';
import type { NodeSession } from './registry.js';

/** Largest runner-inventory declaration kept per node. */
const MAX_INVENTORY_BYTES = 8192;

const fits = (v: unknown, max: number) => Buffer.byteLength(JSON.stringify(v)) <= max;

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
