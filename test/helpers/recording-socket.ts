/**
 * A WebSocket factory for SDK clients in tests: it wraps another factory's sockets so every frame
 * the client sends and receives goes through a {@link FrameTracker}, and so through the frame
 * checks (the generated JSON Schema). The SDK needs no test hook of its own: `webSocket` is its
 * ordinary option.
 */
import type { WebSocketFactory, WebSocketLike } from '@switchboard/sdk';
import { FrameTracker } from './frames.js';

class RecordingSocket implements WebSocketLike {
  private readonly tracker = new FrameTracker();

  constructor(private readonly inner: WebSocketLike) {}

  get readyState(): number {
    return this.inner.readyState;
  }

  get onopen() { return this.inner.onopen; }
  set onopen(handler) { this.inner.onopen = handler; }
  get onclose() { return this.inner.onclose; }
  set onclose(handler) { this.inner.onclose = handler; }
  get onerror() { return this.inner.onerror; }
  set onerror(handler) { this.inner.onerror = handler; }

  get onmessage(): WebSocketLike['onmessage'] {
    return this.inner.onmessage;
  }

  set onmessage(handler: WebSocketLike['onmessage']) {
    this.inner.onmessage = handler && ((ev) => {
      let frame: unknown;
      try {
        frame = JSON.parse(typeof ev.data === 'string' ? ev.data : String(ev.data));
      } catch {
        frame = undefined; // not JSON: the client ignores it too
      }
      if (frame !== undefined) this.tracker.received(frame);
      handler(ev);
    });
  }

  send(data: string): void {
    this.tracker.sent(data);
    this.inner.send(data);
  }

  close(code?: number, reason?: string): void {
    this.inner.close(code, reason);
  }
}

/** Wraps `factory` so every socket it makes records its frames. */
export function recordingWebSocketFactory(factory: WebSocketFactory): WebSocketFactory {
  return (url) => new RecordingSocket(factory(url));
}
