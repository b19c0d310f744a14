/**
 * The durable side of the node registry (tables `node_records` and `node_exec_allowlist`,
 * migration 6): what each paired node last declared and when it was seen, the operator's label, and
 * the commands it may run without an exec approval. Rows go with their device (foreign key,
 * cascade), so removing a device forgets them too. Call the writes inside `store.transaction()` or
 * `store.commit()`.
 *
 * Allowlist entries are stored as opaque keys; what a key means (an argv, or an argv bound to a
 * cwd) is the nodes service's business (`nodes/system-run.ts` `allowKey`).
 */
import type { Database, Statement } from 'better-sqlite3';
import { parseList } from './devices-schema.js';

/** A node's stored record. */
export interface NodeRecord {
  nodeId: string;
  label?: string;
  displayName?: string;
  platform?: string;
  deviceFamily?: string;
  modelIdentifier?: string;
  version?: string;
  clientId?: string;
  clientMode?: string;
  remoteIp?: string;
  caps: string[];
  commands: string[];
  lastConnectedAtMs?: number;
  lastDisconnectedAtMs?: number;
}

/** What a connecting node reports, stored on connect. */
export type NodeSighting = Omit<NodeRecord, 'label' | 'lastDisconnectedAtMs' | 'lastConnectedAtMs'> & { connectedAtMs: number };

/** Node records and persisted exec allowlists. */
export interface NodeRecordRepository {
  /** The record of `nodeId`, or undefined. */
  get(nodeId: string): NodeRecord | undefined;
  /** Every record (paired nodes that ever connected or were labelled). */
  all(): NodeRecord[];
  /** Stores what a node declared as it connected (its label is kept). Skipped (false) when the device is not paired. */
  sighted(s: NodeSighting): boolean;
  /** Notes a disconnect. */
  gone(nodeId: string, at: number): void;
  /** Sets the operator's label; false when no paired device has this id. */
  setLabel(nodeId: string, label: string): boolean;
  /** The allowlist keys of a node, oldest first. */
  allowKeys(nodeId: string): string[];
  /** Whether `key` is on the node's allowlist. */
  hasAllowKey(nodeId: string, key: string): boolean;
  /** Adds `key` to the node's allowlist (idempotent). Skipped (false) when the device is not paired. */
  addAllowKey(nodeId: string, key: string, source: string, at: number): boolean;
}

interface RecordRow {
  node_id: string;
  label: string | null;
  display_name: string | null;
  platform: string | null;
  device_family: string | null;
  model_identifier: string | null;
  version: string | null;
  client_id: string | null;
  client_mode: string | null;
  remote_ip: string | null;
  caps: string;
  commands: string;
  last_connected_at: number | null;
  last_disconnected_at: number | null;
}

const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

function toRecord(r: RecordRow): NodeRecord {
  return {
    nodeId: r.node_id, label: opt(r.label), displayName: opt(r.display_name), platform: opt(r.platform),
    deviceFamily: opt(r.device_family), modelIdentifier: opt(r.model_identifier), version: opt(r.version),
    clientId: opt(r.client_id), clientMode: opt(r.client_mode), remoteIp: opt(r.remote_ip),
    caps: parseList(r.caps), commands: parseList(r.commands),
    lastConnectedAtMs: opt(r.last_connected_at), lastDisconnectedAtMs: opt(r.last_disconnected_at),
  };
}

/** {@link NodeRecordRepository} on the store's SQLite database. */
export class SqliteNodeRecordRepository implements NodeRecordRepository {
  private readonly s: Record<string, Statement>;

  constructor(db: Database) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      get: p('SELECT * FROM node_records WHERE node_id = ?'),
      all: p('SELECT * FROM node_records'),
      exists: p('SELECT 1 FROM paired_devices WHERE device_id = ?'),
      sighted: p(`INSERT INTO node_records (node_id, display_name, platform, device_family, model_identifier, version, client_id,
          client_mode, remote_ip, caps, commands, last_connected_at)
        VALUES (@nodeId, @displayName, @platform, @deviceFamily, @modelIdentifier, @version, @clientId, @clientMode, @remoteIp,
          @caps, @commands, @connectedAtMs)
        ON CONFLICT (node_id) DO UPDATE SET display_name = excluded.display_name, platform = excluded.platform,
          device_family = excluded.device_family, model_identifier = excluded.model_identifier, version = excluded.version,
          client_id = excluded.client_id, client_mode = excluded.client_mode, remote_ip = excluded.remote_ip,
          caps = excluded.caps, commands = excluded.commands, last_connected_at = excluded.last_connected_at`),
      gone: p('UPDATE node_records SET last_disconnected_at = ? WHERE node_id = ?'),
      label: p(`INSERT INTO node_records (node_id, label) VALUES (?, ?)
        ON CONFLICT (node_id) DO UPDATE SET label = excluded.label`),
      allowlist: p('SELECT argv FROM node_exec_allowlist WHERE node_id = ? ORDER BY created_at, argv'),
      allow: p('INSERT OR IGNORE INTO node_exec_allowlist (node_id, argv, source, created_at) VALUES (?, ?, ?, ?)'),
      allowed: p('SELECT 1 FROM node_exec_allowlist WHERE node_id = ? AND argv = ?'),
    };
  }

  get(nodeId: string): NodeRecord | undefined {
    const row = this.s.get.get(nodeId) as RecordRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  all(): NodeRecord[] {
    return (this.s.all.all() as RecordRow[]).map(toRecord);
  }

  sighted(s: NodeSighting): boolean {
    if (!this.s.exists.get(s.nodeId)) return false;
    const n = (v: string | undefined) => v ?? null;
    this.s.sighted.run({
      nodeId: s.nodeId, displayName: n(s.displayName), platform: n(s.platform), deviceFamily: n(s.deviceFamily),
      modelIdentifier: n(s.modelIdentifier), version: n(s.version), clientId: n(s.clientId), clientMode: n(s.clientMode),
      remoteIp: n(s.remoteIp), caps: JSON.stringify(s.caps), commands: JSON.stringify(s.commands), connectedAtMs: s.connectedAtMs,
    });
    return true;
  }

  gone(nodeId: string, at: number): void {
    this.s.gone.run(at, nodeId);
  }

  setLabel(nodeId: string, label: string): boolean {
    if (!this.s.exists.get(nodeId)) return false;
    this.s.label.run(nodeId, label);
    return true;
  }

  allowKeys(nodeId: string): string[] {
    return (this.s.allowlist.all(nodeId) as { argv: string }[]).map((r) => r.argv);
  }

  hasAllowKey(nodeId: string, key: string): boolean {
    return this.s.allowed.get(nodeId, key) !== undefined;
  }

  addAllowKey(nodeId: string, key: string, source: string, at: number): boolean {
    if (!this.s.exists.get(nodeId)) return false;
    this.s.allow.run(nodeId, key, source, at);
    return true;
  }
}
