/**
 * DM pairing codes for unknown senders (hermes-gateway.md §2): 8 characters from an alphabet
 * without 0/O/1/I, from a cryptographic source, valid for 1 hour; one request per user per 10
 * minutes; at most 3 pending per platform; 5 failed approvals lock the platform's approvals for an
 * hour (checked before the lookup, so a valid outstanding code cannot slip through a lockout).
 * Only `sha256(salt + code)` is stored; codes are registered with the log scrubber at birth.
 */
import { createHash, randomBytes, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import { GatewayError } from '@switchboard/protocol';
import { registerSecret } from '../log.js';
import type { Store } from '../store/store.js';
import type { PairingRequestRow, PairedUserRow } from '../store/channels-repo.js';

/** The code alphabet: A–Z and 2–9 without 0, O, 1 and I. */
export const PAIRING_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
/** Pairing limits (advertised in `pairing.list`). */
export const PAIRING_LIMITS = Object.freeze({
  codeLength: 8,
  ttlMs: 60 * 60_000,
  requestIntervalMs: 10 * 60_000,
  pendingPerPlatform: 3,
  maxFailedApprovals: 5,
  lockoutMs: 60 * 60_000,
});

/** A new code for a sender, or why none was made (then the sender hears nothing). */
export type CodeRequest =
  | { issued: true; code: string; expiresAt: number }
  | { issued: false; reason: 'rate_limited' | 'too_many_pending' };

/** Who asks for a code. */
export interface PairingSender {
  platform: string;
  accountId: string;
  userId: string;
  chatId: string;
  displayName?: string;
}

/** Generates a code of {@link PAIRING_LIMITS.codeLength} characters with `crypto.randomInt`. */
export function generateCode(): string {
  let code = '';
  for (let i = 0; i < PAIRING_LIMITS.codeLength; i++) code += PAIRING_ALPHABET[randomInt(PAIRING_ALPHABET.length)];
  return code;
}

function hashCode(salt: string, code: string): string {
  return createHash('sha256').update(salt).update(code).digest('hex');
}

/** Upper-cases and drops spaces and dashes, so `xkgh-5n7p` matches `XKGH5N7P`. */
export function normaliseCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '');
}

/** Pairing requests and approvals over the store. */
export class PairingService {
  constructor(private readonly store: Store, private readonly now: () => number = Date.now) {}

  /** Makes a code for an unknown DM sender, within the rate limits. */
  async request(sender: PairingSender): Promise<CodeRequest> {
    const now = this.now();
    return this.store.commit(() => {
      const repo = this.store.channels;
      repo.expirePairing(now);
      const last = repo.lastPairingRequest(sender.platform, sender.userId);
      if (last !== undefined && now - last < PAIRING_LIMITS.requestIntervalMs) return { issued: false, reason: 'rate_limited' } as const;
      const own = repo.pairingRequestOf(sender.platform, sender.userId);
      const pending = repo.pendingPairing(sender.platform, now).filter((r) => r.id !== own?.id);
      if (pending.length >= PAIRING_LIMITS.pendingPerPlatform) return { issued: false, reason: 'too_many_pending' } as const;
      const code = generateCode();
      registerSecret(code);
      const salt = randomBytes(16).toString('hex');
      const expiresAt = now + PAIRING_LIMITS.ttlMs;
      repo.addPairingRequest({
        id: randomUUID(), platform: sender.platform, accountId: sender.accountId, userId: sender.userId, chatId: sender.chatId,
        ...(sender.displayName ? { displayName: sender.displayName.slice(0, 100) } : {}), codeHash: hashCode(salt, code), salt, createdAt: now, expiresAt,
      });
      repo.notePairingRequest(sender.platform, sender.userId, now);
      return { issued: true, code, expiresAt } as const;
    });
  }

  /**
   * Approves the pending request of `platform` whose code is `code`; the user is then paired.
   * Throws PAIRING_LOCKED during a lockout and PAIRING_CODE_INVALID for a wrong code (counted).
   */
  async approve(platform: string, code: string, approvedBy?: string): Promise<PairedUserRow & { requestId: string; chatId?: string; accountId: string }> {
    const now = this.now();
    const wanted = normaliseCode(code);
    const outcome = await this.store.commit(() => {
      const repo = this.store.channels;
      const lock = repo.lockout(platform);
      if (lock.lockedUntil !== undefined && lock.lockedUntil > now) return { locked: lock.lockedUntil } as const;
      repo.expirePairing(now);
      const match = repo.pendingPairing(platform, now).find((r) => sameHash(r, wanted));
      if (!match) {
        const failures = lock.failures + 1;
        const locked = failures >= PAIRING_LIMITS.maxFailedApprovals ? now + PAIRING_LIMITS.lockoutMs : undefined;
        repo.setLockout(platform, locked ? 0 : failures, locked);
        return { failed: failures, locked } as const;
      }
      repo.deletePairingRequest(match.id);
      repo.setLockout(platform, 0, undefined);
      const paired: PairedUserRow = { platform, userId: match.userId, approvedAt: now, ...(match.displayName ? { displayName: match.displayName } : {}), ...(approvedBy ? { approvedBy } : {}) };
      repo.addPairedUser(paired);
      return { paired, match } as const;
    });
    if ('paired' in outcome && outcome.paired) {
      return { ...outcome.paired, requestId: outcome.match.id, accountId: outcome.match.accountId, ...(outcome.match.chatId ? { chatId: outcome.match.chatId } : {}) };
    }
    const until = 'locked' in outcome ? outcome.locked : undefined;
    if (until !== undefined) {
      // Retryable: the lockout ends by itself, so the idempotency ledger must not replay this
      // answer to the same request after it has.
      throw new GatewayError('FORBIDDEN', `pairing approvals for ${platform} are locked until ${new Date(until).toISOString()} after ${PAIRING_LIMITS.maxFailedApprovals} wrong codes; wait, then ask the user for their current code`, {
        details: { code: 'PAIRING_LOCKED', lockedUntil: until }, retryable: true, retryAfterMs: Math.max(0, until - now),
      });
    }
    throw new GatewayError('INVALID_REQUEST', `no pending ${platform} pairing request has code ${wanted.slice(0, 2)}…; check the code (codes expire after 1 hour) or see \`switchboard pairing list\``, {
      details: { code: 'PAIRING_CODE_INVALID' },
    });
  }

  /** Forgets a paired user; false when they were not paired. */
  async revoke(platform: string, userId: string): Promise<boolean> {
    return this.store.commit(() => this.store.channels.removePairedUser(platform, userId));
  }

  /** Pending requests (without codes) and paired users. */
  list(platform?: string): { pending: Omit<PairingRequestRow, 'codeHash' | 'salt'>[]; paired: PairedUserRow[] } {
    const now = this.now();
    const pending = this.store.channels.pendingPairing(platform, now).map(({ codeHash: _h, salt: _s, ...rest }) => rest);
    return { pending, paired: this.store.channels.pairedUsers(platform) };
  }

  isPaired(platform: string, userId: string): boolean {
    return this.store.channels.isPaired(platform, userId);
  }
}

function sameHash(row: PairingRequestRow, code: string): boolean {
  const a = Buffer.from(hashCode(row.salt, code), 'hex');
  const b = Buffer.from(row.codeHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
