/**
 * The browser's device identity. Filled in by the identity work (Ed25519 in WebCrypto, kept in
 * this browser); until a browser identity exists the WebChat connects with a typed-in token only.
 */
import type { DeviceIdentity } from '@switchboard/sdk';

export async function loadBrowserIdentity(): Promise<DeviceIdentity | undefined> {
  return undefined;
}
