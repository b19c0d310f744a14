/**
 * The browser's device identity (Ed25519 in WebCrypto, kept in IndexedDB) and its device tokens.
 * On the gateway's own machine (same origin, direct loopback) the gateway pairs this identity by
 * itself, so opening the page just works; elsewhere it is approved like any device, or the user
 * types the gateway token.
 */
import { BrowserDeviceTokenStore, loadOrCreateBrowserIdentity, type DeviceIdentity, type DeviceTokenStore } from '@switchboard/sdk';

export interface BrowserCredentials {
  device: DeviceIdentity;
  deviceTokens?: DeviceTokenStore;
}

/** Loads (or creates) this browser's identity; undefined where WebCrypto Ed25519 is unavailable. */
export async function loadBrowserIdentity(gatewayUrl: string): Promise<BrowserCredentials | undefined> {
  try {
    const device = await loadOrCreateBrowserIdentity();
    let deviceTokens: DeviceTokenStore | undefined;
    try {
      deviceTokens = new BrowserDeviceTokenStore(localStorage, gatewayUrl, device.deviceId);
    } catch {
      // No localStorage (private mode): the identity still works, tokens live for this page only.
    }
    return { device, deviceTokens };
  } catch {
    return undefined;
  }
}
