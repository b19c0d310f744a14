/**
 * Node entry point: the client with the `ws` package as its WebSocket (Node 20 has no global one).
 */
import WebSocket from 'ws';
import { GatewayClient, type GatewayClientOptions } from './client.js';
import type { WebSocketFactory, WebSocketLike } from './socket.js';

export * from './index.js';
export * from './node-identity.js';

/** A WebSocket factory backed by `ws`, without compression (the gateway does not negotiate it). */
export const nodeWebSocketFactory: WebSocketFactory = (url) =>
  new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 }) as unknown as WebSocketLike;

/** Creates a client that uses `ws` unless another factory is given. */
export function createNodeClient(options: GatewayClientOptions): GatewayClient {
  return new GatewayClient({ webSocket: nodeWebSocketFactory, ...options });
}
