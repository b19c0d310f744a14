/** Reconnect delays: 1 s doubling to 30 s (OpenClaw's policy), with ±20 % jitter so clients spread out. */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** 0..1; 0 disables jitter (tests). */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 30_000, jitter: 0.2 };

/** The delay before reconnect attempt `attempt` (0-based). */
export function backoffDelay(policy: BackoffPolicy, attempt: number): number {
  const base = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt, 30));
  const spread = base * policy.jitter;
  return Math.max(0, Math.round(base - spread + Math.random() * 2 * spread));
}
