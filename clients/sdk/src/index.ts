// Browser-safe entry point: re-exports only.
export { GatewayClient, type GatewayClientOptions, type CallOptions, type ClientState, type DeviceIdentity, type DeviceTokenStore } from './client.js';
export { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
export type { WebSocketFactory, WebSocketLike } from './socket.js';
export { GatewayError } from '@switchboard/protocol';
export {
  loadOrCreateBrowserIdentity, BrowserDeviceTokenStore, indexedDbStorage, localStorageStorage, toBase64Url,
  type BrowserDeviceIdentity, type BrowserIdentityOptions, type IdentityStorage,
} from './browser-identity.js';
