/**
 * Start-up policy for the shared credential (fail closed):
 *
 * - a configured token or password that is a placeholder (`undefined`, `changeme`, a redaction
 *   marker, an unexpanded `${VAR}`…) or shorter than 16 characters is refused on any bind;
 * - a bind beyond loopback needs an explicitly configured token or password of at least 128 bits
 *   (estimated as length × log2 of the alphabet it draws from): not auth mode `none`, and not the
 *   generated first-run token, which serves loopback only.
 */
import { isIP } from 'node:net';
import type { SharedAuthConfig } from './shared-secret.js';

/** Minimum estimated strength of a credential on a non-loopback bind. */
export const MIN_REMOTE_SECRET_BITS = 128;
/** Minimum length of any configured credential. */
export const MIN_SECRET_LENGTH = 16;

const PLACEHOLDERS = new Set([
  'undefined', 'null', 'none', 'nil', 'false', 'true', 'changeme', 'change-me', 'change_me', 'changeit', 'change-it',
  'replaceme', 'replace-me', 'replace_me', 'password', 'passw0rd', 'secret', 'token', 'your-token', 'your_token',
  'yourtoken', 'your-token-here', 'your-password', 'your_password', 'example', 'default', 'admin', 'letmein', 'test',
  'todo', 'fixme', 'redacted', '[redacted]', '<redacted>', '__redacted__', '__openclaw_redacted__', 'xxx',
]);

const GENERATE_HINT = 'generate one with `openssl rand -base64 32`';

/** Whether a bind address only accepts connections from this machine. */
export function isLoopbackBind(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/** Whether `value` looks like a placeholder rather than a secret. */
export function isPlaceholderSecret(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (PLACEHOLDERS.has(v)) return true;
  if (/^\$\{?[a-z_][a-z0-9_]*\}?$/.test(v) || /^<[^>]*>$/.test(v) || /^%[a-z_]+%$/.test(v)) return true;
  // Masks and fillers: "****", "xxxxxxxx", "........".
  return /^([*x.#_-])\1*$/.test(v);
}

/** A rough strength estimate: length × log2(size of the character classes used). */
export function estimateSecretBits(value: string): number {
  let pool = 0;
  if (/[a-z]/.test(value)) pool += 26;
  if (/[A-Z]/.test(value)) pool += 26;
  if (/[0-9]/.test(value)) pool += 10;
  if (/[^a-zA-Z0-9]/.test(value)) pool += 33;
  // A run of few distinct characters ("abababab…") is only as strong as those characters allow.
  const distinct = new Set(value).size;
  const alphabet = distinct < 8 ? distinct : pool;
  return alphabet > 1 ? Math.floor(value.length * Math.log2(alphabet)) : 0;
}

/** Checks one configured credential; returns why it is refused, or undefined. */
function checkSecret(kind: 'token' | 'password', value: string, remote: boolean): string | undefined {
  const envName = kind === 'token' ? 'SWITCHBOARD_GATEWAY_TOKEN' : 'SWITCHBOARD_GATEWAY_PASSWORD';
  if (isPlaceholderSecret(value)) {
    return `the gateway ${kind} is the placeholder "${value.trim().slice(0, 40)}", not a secret; set --${kind} or ${envName} to a random value (${GENERATE_HINT})`;
  }
  if (value.length < MIN_SECRET_LENGTH) {
    return `the gateway ${kind} is shorter than ${MIN_SECRET_LENGTH} characters; set --${kind} or ${envName} to a longer random value (${GENERATE_HINT})`;
  }
  if (remote && estimateSecretBits(value) < MIN_REMOTE_SECRET_BITS) {
    return `the gateway ${kind} is too weak for a non-loopback bind (about ${estimateSecretBits(value)} bits, at least ${MIN_REMOTE_SECRET_BITS} needed); ${GENERATE_HINT} and pass it with --${kind} or ${envName}`;
  }
  return undefined;
}

/**
 * Applies the start-up policy. Returns the reason to refuse (a sentence that says how to fix it),
 * or undefined when the daemon may start. `auth.token` undefined in token mode means "generate one".
 */
export function checkCredentialPolicy(host: string, auth: SharedAuthConfig): string | undefined {
  const remote = !isLoopbackBind(host);
  if (auth.mode === 'token' && auth.token !== undefined) {
    const refusal = checkSecret('token', auth.token, remote);
    if (refusal) return refusal;
  }
  if (auth.mode === 'password') {
    if (auth.password === undefined) return 'auth mode password needs a password; set --password or SWITCHBOARD_GATEWAY_PASSWORD';
    const refusal = checkSecret('password', auth.password, remote);
    if (refusal) return refusal;
  }
  if (!remote) return undefined;
  if (auth.mode === 'none') {
    return `refusing to listen on ${host} with auth mode none: anyone who can reach the port would control the gateway; bind to loopback (--bind loopback) or configure a token (${GENERATE_HINT})`;
  }
  if (auth.mode === 'token' && (auth.token === undefined || auth.generated)) {
    return `refusing to listen on ${host} without a configured token: the generated token serves loopback only; ${GENERATE_HINT} and pass it with --token or SWITCHBOARD_GATEWAY_TOKEN, or bind to loopback`;
  }
  return undefined;
}
