/**
 * The WebChat's connection: same origin, resume on, operator read+write (plus approvals with the token). On the gateway's own
 * machine the browser's device identity pairs automatically; elsewhere the user types the gateway
 * token once and it is kept in this browser's localStorage — never in the URL.
 */
import { GatewayClient, type ClientState, type GatewayError } from '@switchboard/sdk';
import type { BrowserCredentials } from './identity.js';

const TOKEN_KEY = 'switchboard.gatewayToken';

export function storedToken(): string | undefined {
  try {
    return localStorage.getItem(TOKEN_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function storeToken(token: string | undefined): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // private mode: the token lives for this page only
  }
}

export function gatewayUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`;
}

export interface ConnectionHandlers {
  onState(state: ClientState): void;
  onResync(): void;
  /** The gateway refused the handshake (its `details.code` says why). */
  onAuthFailed(error: GatewayError): void;
}

export function createConnection(handlers: ConnectionHandlers, credentials?: BrowserCredentials): GatewayClient {
  return new GatewayClient({
    url: gatewayUrl(),
    token: storedToken(),
    device: credentials?.device,
    deviceTokens: credentials?.deviceTokens,
    client: { id: 'webchat-ui', mode: 'webchat', version: '0.1.0', platform: navigator.platform || 'web' },
    role: 'operator',
    // With the gateway token the page may also decide exec approvals; without it, read and write only.
    scopes: storedToken() ? ['operator.read', 'operator.write', 'operator.approvals'] : ['operator.read', 'operator.write'],
    resume: true,
    onStateChange: handlers.onState,
    onResync: handlers.onResync,
    onHandshakeError: (err) => handlers.onAuthFailed(err),
  });
}
