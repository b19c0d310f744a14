/**
 * The presence list: one entry per device (or client instance, or connection), with a monotonic
 * version. CLI clients are short-lived and not tracked, as in OpenClaw. Changes are published at
 * most once per event-loop turn, so a burst of connects costs one broadcast, not one per socket.
 */
import type { PresenceEntry } from '@switchboard/protocol';
import type { CallerInfo } from '../server/connection.js';

export class PresenceRegistry {
  private readonly entries = new Map<string, { entry: PresenceEntry; conns: Set<string> }>();
  private versionCounter = 1;
  private publishScheduled = false;

  /** @param publish called (coalesced) with the current list after a change. */
  constructor(private readonly publish: (list: PresenceEntry[]) => void, private readonly host?: string) {}

  get version(): number {
    return this.versionCounter;
  }

  list(): PresenceEntry[] {
    return [...this.entries.values()].map((e) => e.entry);
  }

  /** Adds or refreshes the entry for a caller that just connected. */
  connected(caller: CallerInfo): void {
    if (!isTracked(caller)) return;
    const key = presenceKey(caller);
    const now = Date.now();
    const existing = this.entries.get(key);
    const entry: PresenceEntry = {
      ts: now,
      reason: 'connect',
      mode: caller.client.mode,
      platform: caller.client.platform,
      version: caller.client.version,
      ip: caller.peer.clientAddress,
      roles: [caller.role],
      scopes: [...caller.scopes],
      onlineSince: existing?.entry.onlineSince ?? now,
      ...(this.host ? { host: this.host } : {}),
      ...(caller.client.deviceFamily ? { deviceFamily: caller.client.deviceFamily } : {}),
      ...(caller.client.modelIdentifier ? { modelIdentifier: caller.client.modelIdentifier } : {}),
      ...(caller.client.displayName ? { text: caller.client.displayName } : {}),
      ...(caller.deviceId ? { deviceId: caller.deviceId } : {}),
      ...(caller.client.instanceId ? { instanceId: caller.client.instanceId } : {}),
    };
    if (existing) {
      // The same device connected again (e.g. as operator and node): merge roles.
      entry.roles = [...new Set([...(existing.entry.roles ?? []), caller.role])];
      existing.entry = entry;
      existing.conns.add(caller.connId);
    } else {
      this.entries.set(key, { entry, conns: new Set([caller.connId]) });
    }
    this.changed();
  }

  /** Removes a caller's connection; the entry goes when its last connection does. */
  disconnected(caller: CallerInfo): void {
    if (!isTracked(caller)) return;
    const key = presenceKey(caller);
    const existing = this.entries.get(key);
    if (!existing) return;
    existing.conns.delete(caller.connId);
    if (existing.conns.size === 0) this.entries.delete(key);
    this.changed();
  }

  private changed(): void {
    this.versionCounter++;
    if (this.publishScheduled) return;
    this.publishScheduled = true;
    setImmediate(() => {
      this.publishScheduled = false;
      this.publish(this.list());
    });
  }
}

function isTracked(caller: CallerInfo): boolean {
  return caller.client.mode !== 'cli' && caller.client.mode !== 'probe';
}

function presenceKey(caller: CallerInfo): string {
  return caller.deviceId ?? caller.client.instanceId ?? caller.connId;
}
