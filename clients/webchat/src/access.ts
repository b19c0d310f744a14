/**
 * The WebChat's ways in when it is not (yet) allowed to chat: the token form, the wait for this
 * browser's device to be approved, and the notice for a page that cannot hold a device key. The
 * gateway's refusal (its `details.code`) decides which one the page shows.
 */
import type { GatewayError } from '@switchboard/protocol';
import { h } from './dom.js';

/** What the page shows instead of the chat. */
export type AccessView =
  | { kind: 'login'; message?: string }
  | { kind: 'pairing'; requestId?: string; command?: string }
  | { kind: 'unavailable'; message: string };

/** How often the page retries while its device waits for approval. */
export const PAIRING_RETRY_MS = 3000;

/** The address of the page on the gateway's own machine, for the SSH tunnel hint. */
function tunnelHint(): string {
  const port = location.port || (location.protocol === 'https:' ? '443' : '80');
  return `ssh -L ${port}:127.0.0.1:${port} <gateway host>, then open http://127.0.0.1:${port}/`;
}

/** The notice for a page without a device key (no WebCrypto Ed25519 here). */
export function noDeviceKeyMessage(): string {
  if (!window.isSecureContext) {
    return 'This page is not a secure context (plain http to an address other than 127.0.0.1), so the browser '
      + 'cannot create the device key the gateway requires from other machines. Open the WebChat over HTTPS '
      + `(a TLS reverse proxy listed in trustedProxies), or through an SSH tunnel: ${tunnelHint()}.`;
  }
  return 'This browser cannot create an Ed25519 device key (WebCrypto Ed25519 is missing), which the gateway requires '
    + `from other machines. Use a current Chrome, Edge, Firefox or Safari, or an SSH tunnel: ${tunnelHint()}.`;
}

/** Which view a refused handshake leads to (`hadToken`: the page sent a stored gateway token). */
export function viewForRefusal(err: GatewayError, hadToken: boolean): AccessView {
  const details = (err.details ?? {}) as { code?: string; requestId?: string; approveCommand?: string };
  switch (details.code) {
    case 'PAIRING_REQUIRED':
      return { kind: 'pairing', requestId: details.requestId, command: details.approveCommand };
    case 'DEVICE_IDENTITY_REQUIRED':
      return { kind: 'unavailable', message: noDeviceKeyMessage() };
    case 'AUTH_TOKEN_MISSING':
      // First visit from another machine: the form says what to do; no error to show.
      return hadToken ? { kind: 'login', message: err.message } : { kind: 'login' };
    case 'AUTH_TOKEN_MISMATCH':
      return { kind: 'login', message: 'The gateway did not accept that token. Copy it again on the gateway host (`switchboard config get auth.token`) and paste it here.' };
    default:
      return { kind: 'login', message: `The gateway refused this browser: ${err.message}` };
  }
}

export interface AccessActions {
  /** Connect with this gateway token (undefined: forget the stored one). */
  signIn(token: string | undefined): void;
  forgetToken(): void;
  hasStoredToken: boolean;
}

/** The element for `view`. */
export function renderAccess(view: AccessView, actions: AccessActions): HTMLElement {
  if (view.kind === 'pairing') {
    const command = view.command ?? 'switchboard devices list';
    return h('section', { class: 'login', 'data-testid': 'pairing', role: 'status' },
      h('h2', {}, 'Waiting for approval'),
      h('p', {}, 'The token is right, and this browser is new to the gateway: its device has to be approved once. On the gateway host run'),
      h('pre', {}, h('code', {}, command)),
      h('p', {}, `(or approve request ${view.requestId ?? 'it'} from another operator). This page connects by itself once it is approved.`),
      h('button', { type: 'button', onclick: () => actions.forgetToken() }, 'Use another token'));
  }
  if (view.kind === 'unavailable') {
    return h('section', { class: 'login', 'data-testid': 'unavailable' }, h('h2', {}, 'The WebChat cannot connect from here'), h('p', {}, view.message));
  }
  const tokenInput = h('input', { type: 'password', placeholder: 'Gateway token', 'aria-label': 'Gateway token', autocomplete: 'off', 'data-testid': 'token' });
  return h('form', { class: 'login', onsubmit: (ev: Event) => { ev.preventDefault(); actions.signIn(tokenInput.value.trim() || undefined); } },
    h('h2', {}, 'Connect to your gateway'),
    h('p', {}, 'This browser is not paired with the gateway. Paste the gateway token (from `switchboard config get auth.token`, or the token you configured). It is stored in this browser only.'),
    tokenInput,
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'login' }, 'Connect'),
    actions.hasStoredToken ? h('button', { type: 'button', onclick: () => actions.forgetToken() }, 'Forget stored token') : null);
}
