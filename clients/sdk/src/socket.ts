/**
 * The WebSocket surface the client needs: the browser's WebSocket and the `ws` package both fit.
 */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketFactory = (url: string) => WebSocketLike;

export const WS_OPEN = 1;

/** Uses the global WebSocket (browsers, Node ≥ 22); Node 20 callers pass a factory from `@switchboard/sdk/node`. */
export function globalWebSocketFactory(): WebSocketFactory | undefined {
  const G = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
  return G ? (url) => new G(url) : undefined;
}
