// Browser-safe entry point: re-exports only.
export { GatewayClient, type GatewayClientOptions, type CallOptions, type ClientState, type DeviceIdentity, type DeviceTokenStore } from './client.js';
export { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
export type { WebSocketFactory, WebSocketLike } from './socket.js';
export { GatewayError } from '@switchboard/protocol';
