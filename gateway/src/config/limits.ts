/**
 * Every limit the gateway enforces, with its default. Each one that concerns a client is advertised
 * in `hello-ok.policy`, so clients never have to guess.
 */

export interface Limits {
  /** Largest frame accepted after the handshake (bytes). Bigger frames get PAYLOAD_TOO_LARGE. */
  maxPayload: number;
  /** Largest frame accepted before `connect` succeeds (bytes). Bigger ones close the socket (1009). */
  maxPreauthPayload: number;
  /** Per-connection send-buffer high-water mark (bytes), for replies and events alike: above it droppable events are skipped and the client's frames are not read until it drains; at twice it the connection is closed (1008). */
  maxBufferedBytes: number;
  /** How long a connection may stay above `maxBufferedBytes` before it is closed as a slow consumer. */
  slowConsumerGraceMs: number;
  /** Interval of `tick` events. */
  tickIntervalMs: number;
  /** Time from socket open to a successful `connect`. */
  handshakeTimeoutMs: number;
  /** WebSocket ping interval; a peer that misses one pong is terminated. */
  pingIntervalMs: number;
  /** Health summary refresh interval. */
  healthRefreshMs: number;
  /**
   * Per-connection request budget: request `maxRequests + 1` within `windowMs` is answered with
   * RATE_LIMITED (details.code CONNECTION_BUDGET_EXCEEDED, retryAfterMs) and the socket is closed
   * (1008). Set with `limits.requestBudget` in config.yaml or `SWITCHBOARD_REQUEST_BUDGET`.
   */
  requestBudget: { maxRequests: number; windowMs: number };
  /** Failed requests (bad frames, unknown methods, forbidden) tolerated per connection per minute before it is closed. */
  maxFailedRequestsPerMinute: number;
  /** Frames a connection may send while its handshake is still being processed. */
  maxPendingHandshakeFrames: number;
  /** Resume rings (`switchboard.resume`): frames and bytes kept per connection, how long a closed one waits, how many closed ones at most. */
  replay: { maxEvents: number; maxBytes: number; ttlMs: number; maxDetached: number };
  /** Sockets one address may have waiting for their handshake; more are refused with HTTP 429. */
  maxPreauthSocketsPerAddress: number;
  /** Failed authentications per address (loopback included) before a lockout. */
  authFailures: { maxAttempts: number; windowMs: number; lockoutMs: number };
  /** How long a finished side-effect request stays in the idempotency ledger (a retry within it gets the recorded answer). */
  idempotencyTtlMs: number;
  /** Most entries the idempotency ledger keeps; above it the oldest finished ones are dropped early. */
  maxIdempotencyEntries: number;
  /** Interval of the ledger's background sweep. */
  idempotencySweepIntervalMs: number;
  /** Byte budget of one `chat.history` page (the default and the ceiling of `maxBytes`). */
  historyMaxBytes: number;
  /** A transcript entry larger than this comes back from `chat.history` as a placeholder. */
  historyMaxEntryBytes: number;
  /** Agent runs (gateway/src/runs/, docs/agent.md). */
  runs: RunLimits;
}

/** Limits of the run manager. */
export interface RunLimits {
  /** Messages waiting behind a session's running run; one more is refused (SESSION_QUEUE_FULL). */
  maxQueuedPerSession: number;
  /** Runs executing at once across all sessions; further runs wait for a slot, in order. */
  maxConcurrentRuns: number;
  /** A run is aborted (AGENT_TIMEOUT) after this long unless the request sets its own limit. */
  runTimeoutMs: number;
  /** Minimum interval between two `chat` delta events of one run. */
  chatDeltaIntervalMs: number;
  /** How often a streaming answer's text is checkpointed to the transcript (a crash loses at most this much). */
  checkpointIntervalMs: number;
  /** Transcript entries (newest) and bytes sent to the model as history. */
  promptHistoryEntries: number;
  promptHistoryBytes: number;
  /** Ended runs remembered for `agent.wait` and retries: how many, and for how long. */
  finishedRuns: number;
  finishedRunTtlMs: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxPayload: 8 * 1024 * 1024,
  maxPreauthPayload: 64 * 1024,
  maxBufferedBytes: 16 * 1024 * 1024,
  slowConsumerGraceMs: 10_000,
  tickIntervalMs: 30_000,
  handshakeTimeoutMs: 10_000,
  pingIntervalMs: 30_000,
  healthRefreshMs: 60_000,
  // 200 requests a second on one connection: far above what the CLI, the SDK or WebChat send, low
  // enough that one client cannot monopolise the daemon. Load tests raise it (bench/src/servers.ts).
  requestBudget: Object.freeze({ maxRequests: 2_000, windowMs: 10_000 }),
  maxFailedRequestsPerMinute: 120,
  maxPendingHandshakeFrames: 16,
  replay: Object.freeze({ maxEvents: 2_000, maxBytes: 2 * 1024 * 1024, ttlMs: 120_000, maxDetached: 1_000 }),
  maxPreauthSocketsPerAddress: 32,
  authFailures: Object.freeze({ maxAttempts: 10, windowMs: 60_000, lockoutMs: 5 * 60_000 }),
  idempotencyTtlMs: 24 * 60 * 60 * 1000,
  maxIdempotencyEntries: 100_000,
  idempotencySweepIntervalMs: 60_000,
  historyMaxBytes: 1024 * 1024,
  historyMaxEntryBytes: 256 * 1024,
  runs: Object.freeze({
    maxQueuedPerSession: 32,
    maxConcurrentRuns: 256,
    runTimeoutMs: 600_000,
    chatDeltaIntervalMs: 150,
    checkpointIntervalMs: 1_000,
    promptHistoryEntries: 200,
    promptHistoryBytes: 512 * 1024,
    finishedRuns: 2_000,
    finishedRunTtlMs: 10 * 60_000,
  }),
});

/** Merges overrides onto the defaults. */
export function resolveLimits(overrides: Partial<Limits> = {}): Limits {
  return {
    ...DEFAULT_LIMITS,
    ...overrides,
    requestBudget: { ...DEFAULT_LIMITS.requestBudget, ...overrides.requestBudget },
    replay: { ...DEFAULT_LIMITS.replay, ...overrides.replay },
    authFailures: { ...DEFAULT_LIMITS.authFailures, ...overrides.authFailures },
    runs: { ...DEFAULT_LIMITS.runs, ...overrides.runs },
  };
}
