/**
 * `web.login.start` / `web.login.wait`: linking WhatsApp by QR through the control plane (the
 * CLI's `switchboard channels login whatsapp` draws the same QR in the terminal).
 *
 * start: a linked, connected account answers `connected` (unless `force`, which logs it out and
 * links anew); otherwise the account is (re)started without credentials and the first QR is
 * returned as a PNG data URL plus terminal text. wait: resolves when the phone scanned it
 * (`connected: true`), or with the next QR when WhatsApp rotated it, or `connected: false` at the
 * timeout.
 */
import { GatewayError, type WebLoginStartResult, type WebLoginWaitResult } from '@switchboard/protocol';
import { DEFAULT_ACCOUNT } from '../config.js';
import type { ChannelService } from '../service.js';
import { isQrLinking } from '../types.js';

const DEFAULT_START_WAIT_MS = 30_000;
const DEFAULT_WAIT_MS = 120_000;
/** Polling step while waiting for the account to connect. */
const STEP_MS = 100;

/** The QR as a PNG data URL and as block characters for a terminal. */
export async function renderQr(qr: string): Promise<{ qrDataUrl: string; qrText: string }> {
  // Loaded on first use: a gateway that never links WhatsApp never loads it.
  const { default: QRCode } = await import('qrcode');
  const [qrDataUrl, qrText] = await Promise.all([
    QRCode.toDataURL(qr, { margin: 2, scale: 6 }),
    QRCode.toString(qr, { type: 'terminal', small: true }),
  ]);
  return { qrDataUrl, qrText };
}

function linking(channels: ChannelService, accountId: string) {
  const entry = channels.entry('whatsapp', accountId);
  if (!isQrLinking(entry.adapter)) throw new GatewayError('INVALID_REQUEST', 'this WhatsApp account cannot be linked by QR');
  return { entry, adapter: entry.adapter };
}

const lastQr = new Map<string, string>();

/** `web.login.start`. */
export async function webLoginStart(channels: ChannelService, params: { force?: boolean; timeoutMs?: number; accountId?: string }): Promise<WebLoginStartResult> {
  const accountId = params.accountId || DEFAULT_ACCOUNT;
  const { entry, adapter } = linking(channels, accountId);
  if (entry.supervisor.state === 'connected' && adapter.isLinked() && !params.force) {
    return { connected: true, message: 'WhatsApp is already linked and connected; pass force to link another phone' };
  }
  if (params.force || entry.supervisor.state === 'needs_relink' || entry.supervisor.state === 'stopped') {
    await entry.supervisor.stop();
    if (params.force || entry.supervisor.status().lastError) await adapter.resetLink();
    entry.supervisor.start();
  }
  const qr = await adapter.nextQr(params.timeoutMs ?? DEFAULT_START_WAIT_MS);
  if (!qr) {
    if (entry.supervisor.state === 'connected') return { connected: true, message: 'WhatsApp connected' };
    throw new GatewayError('UNAVAILABLE', 'WhatsApp did not offer a QR code in time; check the network and try again', { retryable: true });
  }
  lastQr.set(accountId, qr);
  return { ...(await renderQr(qr)), message: 'Scan this QR with WhatsApp on your phone: Settings → Linked devices → Link a device', sessionKey: `whatsapp:${accountId}` };
}

/** `web.login.wait`. */
export async function webLoginWait(channels: ChannelService, params: { timeoutMs?: number; accountId?: string }): Promise<WebLoginWaitResult> {
  const accountId = params.accountId || DEFAULT_ACCOUNT;
  const { entry, adapter } = linking(channels, accountId);
  const deadline = Date.now() + (params.timeoutMs ?? DEFAULT_WAIT_MS);
  while (Date.now() < deadline) {
    if (entry.supervisor.state === 'connected') {
      lastQr.delete(accountId);
      return { connected: true, message: 'WhatsApp is linked and connected' };
    }
    if (entry.supervisor.state === 'needs_relink') {
      return { connected: false, message: entry.supervisor.status().detail ?? 'WhatsApp refused the link; start again' };
    }
    const qr = await adapter.nextQr(STEP_MS, lastQr.get(accountId));
    if (qr && qr !== lastQr.get(accountId)) {
      lastQr.set(accountId, qr);
      return { connected: false, message: 'The QR code changed; scan the new one', ...(await renderQr(qr)) };
    }
  }
  return { connected: false, message: 'Not linked yet; call web.login.wait again or start over with web.login.start' };
}
