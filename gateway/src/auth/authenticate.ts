/**
 * Decides whether a `connect` may proceed and as what (role, scopes). This is the shared-secret
 * half of the handshake; device identity and pairing build on top of it.
 */
import { GatewayError, isOperatorScope, type ConnectParams, type Role } from '@switchboard/protocol';
import { safeEqualSecret, type SharedAuthConfig } from './shared-secret.js';
import type { PeerInfo } from '../server/peer.js';

export interface AuthGrant {
  role: Role;
  scopes: string[];
  authMethod: 'token' | 'password' | 'none';
}

function authError(detail: string, message: string): GatewayError {
  return new GatewayError('INVALID_REQUEST', message, { details: { code: detail } });
}

/**
 * Checks the shared secret and returns the grant, or throws a GatewayError whose details.code is
 * the OpenClaw detail code (AUTH_TOKEN_MISMATCH, ...). The generated first-run token only serves
 * loopback peers.
 */
export function authenticateSharedSecret(params: ConnectParams, auth: SharedAuthConfig, peer: PeerInfo): AuthGrant {
  const role: Role = params.role === 'node' ? 'node' : 'operator';
  const scopes = role === 'operator' ? (params.scopes ?? []).filter(isOperatorScope) : [];
  switch (auth.mode) {
    case 'none':
      return { role, scopes, authMethod: 'none' };
    case 'token': {
      const provided = params.auth?.token;
      if (!provided) {
        throw authError('AUTH_TOKEN_MISSING', 'unauthorized: gateway token missing (pass --token or set SWITCHBOARD_GATEWAY_TOKEN)');
      }
      if (!auth.token || !safeEqualSecret(provided, auth.token)) {
        throw authError('AUTH_TOKEN_MISMATCH', 'unauthorized: gateway token mismatch');
      }
      if (auth.generated && !peer.socketIsLoopback) {
        throw authError('AUTH_UNAUTHORIZED', 'unauthorized: the generated gateway token only works from this machine; configure a token for remote access');
      }
      return { role, scopes, authMethod: 'token' };
    }
    case 'password': {
      const provided = params.auth?.password;
      if (!provided) throw authError('AUTH_PASSWORD_MISSING', 'unauthorized: gateway password missing');
      if (!auth.password || !safeEqualSecret(provided, auth.password)) {
        throw authError('AUTH_PASSWORD_MISMATCH', 'unauthorized: gateway password mismatch');
      }
      return { role, scopes, authMethod: 'password' };
    }
  }
}
