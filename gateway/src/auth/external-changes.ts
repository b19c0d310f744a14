/**
 * Device changes written by another process. The CLI's offline path (`switchboard devices revoke |
 * remove | rotate --offline`, or its automatic fallback) writes the state database directly while
 * the daemon runs. New connects read that state anyway; open sessions would not notice. This watcher
 * polls SQLite's `data_version` (one pragma read, about once a second; it only changes when another
 * connection committed) and, when it moved, closes what the online path would have closed:
 * every connection of a removed device, and the token-authenticated connections of a token that was
 * revoked or rotated.
 */
import type { ConnectionRegistry } from '../server/broadcaster.js';
import type { DeviceRepository } from '../store/devices-repo.js';

/** How a device's sessions are cut off (the online path's `AuthService.disconnectDevice`). */
export type DisconnectDevice = (deviceId: string, options: { role?: string; onlyTokenAuth?: boolean; reason: string }) => number;

/** Closes sessions invalidated by device changes another process committed. */
export class ExternalDeviceChanges {
  private seenVersion: number;

  constructor(
    private readonly devices: DeviceRepository,
    private readonly connections: ConnectionRegistry,
    private readonly disconnect: DisconnectDevice,
  ) {
    this.seenVersion = devices.dataVersion();
  }

  /** Checks for changes by other processes; returns how many connections were closed (0 when nothing changed). */
  check(): number {
    const version = this.devices.dataVersion();
    if (version === this.seenVersion) return 0;
    this.seenVersion = version;
    const seen = new Set<string>();
    let closed = 0;
    for (const conn of this.connections.values()) {
      const caller = conn.caller;
      if (!caller?.deviceId || conn.state !== 'open') continue;
      const key = `${caller.deviceId}\u0000${caller.role}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (!this.devices.getDevice(caller.deviceId)) {
        closed += this.disconnect(caller.deviceId, { reason: 'device removed' });
        continue;
      }
      const token = this.devices.tokenState(caller.deviceId, caller.role);
      if (token === 'revoked' || token === 'rotated') {
        closed += this.disconnect(caller.deviceId, { role: caller.role, onlyTokenAuth: true, reason: `device token ${token}` });
      }
    }
    return closed;
  }
}
