/**
 * Step one of the auth pipeline: the shared gateway credential (token or password). It reports
 * instead of throwing, because a wrong or missing shared secret can still be outweighed later by a
 * valid device token, or — for the same-origin WebChat on direct loopback — by the device
 * signature alone (see ./connect-auth.ts).
 */
import { GatewayError, type ConnectParams } from '@switchboard/protocol';
import { safeEqualSecret, type SharedAuthConfig } from './shared-secret.js';
import type { PeerInfo } from '../server/peer.js';

/** How the shared-secret check went. */
export type SharedSecretResult =
  /** The right secret (or auth mode none). */
  | { status: 'ok'; method: 'token' | 'password' | 'none' }
  /** No secret was sent. `error` is the refusal if nothing else authenticates the connection. */
  | { status: 'missing'; error: GatewayError }
  /** A secret was sent and is wrong: a guess, counted by the rate limiter unless something else authenticates. */
  | { status: 'wrong'; error: GatewayError };

function authError(detail: string, message: string): GatewayError {
  return new GatewayError('INVALID_REQUEST', message, { details: { code: detail } });
}

/**
 * Checks the shared secret of a `connect`. Error details carry OpenClaw's detail codes
 * (AUTH_TOKEN_MISSING, AUTH_TOKEN_MISMATCH, …). The generated first-run token only serves
 * connections whose socket peer is loopback and that carry no forwarding headers.
 */
export function checkSharedSecret(params: ConnectParams, auth: SharedAuthConfig, peer: PeerInfo): SharedSecretResult {
  switch (auth.mode) {
    case 'none':
      return { status: 'ok', method: 'none' };
    case 'token': {
      const provided = params.auth?.token;
      if (!provided) {
        return { status: 'missing', error: authError('AUTH_TOKEN_MISSING', 'unauthorized: gateway token missing (pass --token or set SWITCHBOARD_GATEWAY_TOKEN)') };
      }
      if (!auth.token || !safeEqualSecret(provided, auth.token)) {
        return { status: 'wrong', error: authError('AUTH_TOKEN_MISMATCH', 'unauthorized: gateway token mismatch (check --token or SWITCHBOARD_GATEWAY_TOKEN)') };
      }
      // A local reverse proxy delivers remote users on loopback sockets: only a loopback socket
      // without forwarding headers is really this machine.
      if (auth.generated && (!peer.socketIsLoopback || peer.hasForwarding)) {
        return {
          status: 'wrong',
          error: authError('AUTH_UNAUTHORIZED', peer.socketIsLoopback
            ? 'unauthorized: the generated gateway token only works on direct connections from this machine, not through a proxy; configure a token (SWITCHBOARD_GATEWAY_TOKEN) for access through the proxy'
            : 'unauthorized: the generated gateway token only works from this machine; configure a token for remote access'),
        };
      }
      return { status: 'ok', method: 'token' };
    }
    case 'password': {
      const provided = params.auth?.password;
      if (!provided) {
        return { status: 'missing', error: authError('AUTH_PASSWORD_MISSING', 'unauthorized: gateway password missing (pass --password or set SWITCHBOARD_GATEWAY_PASSWORD)') };
      }
      if (!auth.password || !safeEqualSecret(provided, auth.password)) {
        return { status: 'wrong', error: authError('AUTH_PASSWORD_MISMATCH', 'unauthorized: gateway password mismatch') };
      }
      return { status: 'ok', method: 'password' };
    }
  }
}
