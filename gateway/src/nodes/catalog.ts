/**
 * The node catalog: what `node.list` and `node.describe` show, merged from three sources — paired
 * devices with the `node` role (the device store), what each node last declared (node records),
 * and the live registry. Also resolves a node reference (id, unique id prefix, or label) to an id,
 * for the CLI and the agent's tools.
 */
import { GatewayError, type NodeSummary, type PairedDevice } from '@switchboard/protocol';
import type { NodeRecord } from './records.js';
import type { NodeSession } from './registry.js';
import { invocableCommands, platformIdOf, serverAllowlist } from './policy.js';

/** Allow and deny lists the catalog needs to say what an offline node could be invoked for. */
export interface CatalogPolicy {
  allowCommands: readonly string[];
  denyCommands: readonly string[];
}

/** One known node from its sources. */
export interface KnownNode {
  nodeId: string;
  device?: PairedDevice;
  record?: NodeRecord;
  live?: NodeSession;
}

function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The display name: the operator's label, else what the node reported. */
export function nameOf(n: KnownNode): string | undefined {
  return n.record?.label ?? n.live?.caller.client.displayName ?? n.record?.displayName ?? n.device?.displayName;
}

/** A node's `node.list` entry. */
export function summarize(n: KnownNode, policy: CatalogPolicy): NodeSummary {
  const { device, record, live } = n;
  const client = live?.caller.client;
  const commands = live ? [...live.declared] : record?.commands ?? [];
  const invocable = live
    ? [...live.invocable]
    : invocableCommands(commands, serverAllowlist(platformIdOf(record?.platform ?? device?.platform, record?.deviceFamily ?? device?.deviceFamily), policy.allowCommands, policy.denyCommands));
  return compact({
    nodeId: n.nodeId,
    displayName: nameOf(n),
    platform: client?.platform ?? record?.platform ?? device?.platform,
    deviceFamily: client?.deviceFamily ?? record?.deviceFamily ?? device?.deviceFamily,
    modelIdentifier: client?.modelIdentifier ?? record?.modelIdentifier,
    version: client?.version ?? record?.version,
    clientId: client?.id ?? record?.clientId ?? device?.clientId,
    clientMode: client?.mode ?? record?.clientMode ?? device?.clientMode,
    remoteIp: live?.caller.peer.clientAddress ?? record?.remoteIp ?? device?.remoteIp,
    caps: live ? [...live.caller.caps] : record?.caps ?? [],
    commands,
    invocableCommands: invocable,
    permissions: live?.caller.node?.permissions ? { ...live.caller.node.permissions } : undefined,
    pathEnv: live?.caller.node?.pathEnv,
    connectedAtMs: live?.connectedAtMs,
    lastConnectedAtMs: live?.connectedAtMs ?? record?.lastConnectedAtMs,
    lastDisconnectedAtMs: live ? undefined : record?.lastDisconnectedAtMs,
    lastSeenAtMs: live ? live.lastSeenAtMs ?? live.connectedAtMs : undefined,
    lastSeenReason: live ? live.lastSeenReason ?? 'connect' : undefined,
    approvedAtMs: device?.approvedAtMs,
    paired: device !== undefined,
    connected: live !== undefined,
  });
}

/** Every node: paired node devices and connected sessions, by id. */
export function knownNodes(devices: readonly PairedDevice[], records: readonly NodeRecord[], live: readonly NodeSession[]): Map<string, KnownNode> {
  const out = new Map<string, KnownNode>();
  const at = (id: string) => out.get(id) ?? out.set(id, { nodeId: id }).get(id)!;
  for (const d of devices) if (d.roles.includes('node')) at(d.deviceId).device = d;
  const paired = new Set(out.keys());
  for (const r of records) if (paired.has(r.nodeId)) at(r.nodeId).record = r;
  for (const s of live) at(s.nodeId).live = s;
  return out;
}

/** Connected nodes first, then by name, then by id. */
export function sortNodes(list: NodeSummary[]): NodeSummary[] {
  return list.sort((a, b) => Number(b.connected) - Number(a.connected)
    || (a.displayName ?? a.nodeId).toLowerCase().localeCompare((b.displayName ?? b.nodeId).toLowerCase())
    || a.nodeId.localeCompare(b.nodeId));
}

/**
 * Resolves `ref` — a node id, a unique id prefix of at least 6 characters, or a unique display name
 * (case-insensitive) — to a node id. Throws INVALID_REQUEST naming the candidates otherwise.
 */
export function resolveNodeRef(ref: string, nodes: ReadonlyMap<string, KnownNode>): string {
  if (nodes.has(ref)) return ref;
  const lower = ref.toLowerCase();
  const byName = [...nodes.values()].filter((n) => nameOf(n)?.toLowerCase() === lower);
  if (byName.length === 1) return byName[0].nodeId;
  const byPrefix = lower.length >= 6 ? [...nodes.keys()].filter((id) => id.startsWith(lower)) : [];
  if (byName.length === 0 && byPrefix.length === 1) return byPrefix[0];
  const known = [...nodes.values()].map((n) => `${nameOf(n) ?? '(unnamed)'} (${n.nodeId.slice(0, 12)})`).join(', ') || 'none';
  const why = byName.length > 1 || byPrefix.length > 1 ? `"${ref}" matches more than one node` : `no node is called "${ref}"`;
  throw new GatewayError('INVALID_REQUEST', `${why}; use a node id from \`switchboard nodes list\` (known: ${known})`, {
    details: { code: 'UNKNOWN_NODE_ID', nodeId: ref },
  });
}
