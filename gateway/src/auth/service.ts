/**
 * The daemon's access-control service: it owns the failed-auth limiter and the pre-auth socket
 * budget, installs the upgrade guards, runs the connect pipeline, announces pairing decisions to
 * operators holding `operator.pairing`, and cuts off connections of removed or revoked devices —
 * also when the removal or revocation was written by another process (the CLI's offline path).
 * Handlers reach it through `ctx.services.auth`; they never touch a socket themselves.
 */
import { hostname } from 'node:os';
import { GatewayError, type ConnectParams, type PendingDevicePairing } from '@switchboard/protocol';
import type { Log } from '../log.js';
import type { GatewayOptions } from '../options.js';
import { canReceive, type Broadcaster, type ConnectionRegistry } from '../server/broadcaster.js';
import type { Connection } from '../server/connection.js';
import type { WsServer } from '../server/ws-server.js';
import type { DeviceRepository } from '../store/devices-repo.js';
import { ExternalDeviceChanges } from './external-changes.js';
import { authenticateConnect, type AuthGrant, type ConnectSubject, type PairingEvents } from './connect-auth.js';
import { isLoopbackBind } from './credentials.js';
import { originGuard, PreauthBudget } from './guards.js';
import { AuthRateLimiter } from './rate-limit.js';

/** What the access-control service works with. */
export interface AuthServiceDeps {
  options: GatewayOptions;
  devices: DeviceRepository;
  broadcaster: Broadcaster;
  connections: ConnectionRegistry;
  log: Log;
}

/** Access control for one daemon; see the file comment. */
export class AuthService {
  readonly limiter: AuthRateLimiter;
  readonly preauth: PreauthBudget;
  /** Announces pairing requests and decisions (only operators with operator.pairing or admin receive them). */
  readonly events: PairingEvents;
  private readonly log: Log;
  /** Open connections allowed to receive pairing events (operator.pairing or admin). */
  private readonly pairingWatchers = new Set<Connection>();

  constructor(private readonly deps: AuthServiceDeps) {
    const limits = deps.options.limits;
    this.limiter = new AuthRateLimiter(limits.authFailures);
    this.preauth = new PreauthBudget(limits.maxPreauthSocketsPerAddress);
    this.log = deps.log.child({ ns: 'gateway:auth' });
    // Pairing events go to the few connections that may receive them, not through every socket:
    // a burst of auto-approved connects would otherwise cost O(connections) each.
    const to = this.pairingWatchers;
    this.events = {
      requested: (request) => deps.broadcaster.broadcast('device.pair.requested', requestedPayload(request), { to }),
      resolved: (requestId, deviceId, decision) =>
        deps.broadcaster.broadcast('device.pair.resolved', { requestId, deviceId, decision, ts: Date.now() }, { to }),
    };
  }

  /** Adds the origin check and the pre-auth budget to the WebSocket server, and tracks pairing operators. */
  install(ws: WsServer): void {
    const { allowedOrigins, host, hostName } = this.deps.options;
    ws.addUpgradeGuard(originGuard(allowedOrigins, { loopbackBind: isLoopbackBind(host), hostNames: [hostname(), hostName] }));
    ws.addUpgradeGuard(this.preauth.guard);
    ws.addHooks(this.preauth.hooks);
    ws.addHooks({
      opened: (conn) => {
        if (canReceive(conn.caller!, 'operator.pairing')) this.pairingWatchers.add(conn);
      },
      closed: (conn) => this.pairingWatchers.delete(conn),
    });
    // Revocations and removals the CLI wrote offline close live sessions too, like the online path.
    const external = new ExternalDeviceChanges(this.deps.devices, this.deps.connections, (deviceId, options) => this.disconnectDevice(deviceId, options));
    ws.addHooks({
      swept: () => {
        const closed = external.check();
        if (closed > 0) this.log.info({ closed }, 'closed connections of devices revoked or removed by another process');
      },
    });
  }

  /** Authenticates a `connect`; throws the GatewayError to answer with (the socket then closes 1008). */
  authenticate(params: ConnectParams, subject: ConnectSubject): AuthGrant {
    try {
      const grant = authenticateConnect(params, subject, {
        auth: this.deps.options.auth,
        devices: this.deps.devices,
        limiter: this.limiter,
        events: this.events,
      });
      if (grant.deviceToken) this.log.debug({ deviceId: grant.deviceId, role: grant.role }, 'device token issued');
      return grant;
    } catch (err) {
      if (err instanceof GatewayError) {
        const details = err.details as { code?: string; requestId?: string } | undefined;
        // One line per kind of refusal; the log's de-duplication collapses floods of the same one.
        this.log.warn({ addr: subject.peer.clientAddress, client: params.client.id, code: details?.code ?? err.code, requestId: details?.requestId },
          `handshake refused: ${details?.code ?? err.code}`);
      }
      throw err;
    }
  }

  /**
   * Closes the open connections of a device (all roles, or one). Used when a device is removed or
   * its token revoked. With `onlyTokenAuth`, only connections that authenticated with the device
   * token are closed (a revoked token must not keep a session alive). The caller's own connection
   * (`exceptConnId`) is spared so it receives its answer. Returns how many were closed.
   */
  disconnectDevice(deviceId: string, options: { role?: string; onlyTokenAuth?: boolean; reason: string; exceptConnId?: string }): number {
    let closed = 0;
    for (const conn of this.deps.connections.values()) {
      const caller = conn.caller;
      if (!caller || caller.deviceId !== deviceId || caller.connId === options.exceptConnId) continue;
      if (options.role && caller.role !== options.role) continue;
      if (options.onlyTokenAuth && caller.authMethod !== 'device-token') continue;
      conn.close(1008, options.reason);
      closed++;
    }
    return closed;
  }
}

/** The event payload: the pending request without the list-only expiry. */
function requestedPayload(request: PendingDevicePairing) {
  const { expiresAtMs: _expires, ...payload } = request;
  return payload;
}
