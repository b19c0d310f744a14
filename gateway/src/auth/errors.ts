/**
 * The refusals the auth pipeline sends, in one place so their codes, details and wording stay
 * consistent (and match OpenClaw's detail codes).
 */
import { GatewayError, type PairingReason, type PendingDevicePairing } from '@switchboard/protocol';

/** The command that approves a pending request on the gateway's host. */
export function approveCommand(requestId: string): string {
  return `switchboard devices approve ${requestId}`;
}

/** The address is locked out after too many failed attempts. */
export function rateLimitedError(retryAfterMs: number): GatewayError {
  const seconds = Math.ceil(retryAfterMs / 1000);
  return new GatewayError('INVALID_REQUEST', `unauthorized: too many failed authentication attempts from this address; try again in ${seconds} s`, {
    retryable: true,
    retryAfterMs,
    details: { code: 'AUTH_RATE_LIMITED', retryAfterMs, recommendedNextStep: 'wait_then_retry' },
  });
}

/** A device-less connection from anywhere but direct loopback. */
export function deviceIdentityRequiredError(): GatewayError {
  return new GatewayError('NOT_PAIRED',
    'device identity required: connections that are not direct loopback must sign the handshake with a device key (the Switchboard CLI and SDK do; OpenClaw clients do for non-loopback URLs), or reach the gateway through an SSH tunnel to 127.0.0.1', {
      details: { code: 'DEVICE_IDENTITY_REQUIRED', recommendedNextStep: 'review_auth_configuration' },
    });
}

/** A device token that is unknown, revoked or for another device or role. */
export function deviceTokenMismatchError(): GatewayError {
  return new GatewayError('INVALID_REQUEST',
    'unauthorized: device token mismatch (it was rotated, revoked or never issued); connect once with the gateway token to receive a new one', {
      details: { code: 'AUTH_DEVICE_TOKEN_MISMATCH', canRetryWithDeviceToken: false, recommendedNextStep: 'update_auth_credentials' },
    });
}

const REQUIREMENT: Record<PairingReason, string> = {
  'not-paired': 'device is not approved yet',
  'role-upgrade': 'device is asking for a role it was not approved for',
  'scope-upgrade': 'device is asking for more scopes than approved',
};

/** The device must be approved first; names the request and the exact command. */
export function pairingRequiredError(request: PendingDevicePairing, reason: PairingReason, role: string, scopes: readonly string[]): GatewayError {
  const command = approveCommand(request.requestId);
  return new GatewayError('NOT_PAIRED', `pairing required: ${REQUIREMENT[reason]}; approve it on the gateway host with \`${command}\` (request ${request.requestId} expires in 5 minutes), then reconnect`, {
    details: {
      code: 'PAIRING_REQUIRED',
      reason,
      requestId: request.requestId,
      deviceId: request.deviceId,
      requestedRole: role,
      requestedScopes: [...scopes],
      approveCommand: command,
      remediationHint: `Approve this device on the gateway host: ${command}`,
      recommendedNextStep: 'wait_then_retry',
    },
  });
}

/** The close reason for a handshake refusal (WebSocket reasons are short). */
export function closeReasonFor(error: GatewayError): string {
  const details = error.details as { code?: string; requestId?: string } | undefined;
  if (details?.code === 'PAIRING_REQUIRED' && details.requestId) return `pairing required (requestId: ${details.requestId})`;
  return error.message;
}
