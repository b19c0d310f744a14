/**
 * The handshake: the `connect.challenge` event, `ConnectParams` (the only request allowed before
 * authentication) and the `hello-ok` answer with its snapshot and policy.
 */
import { Type, type Static } from '@sinclair/typebox';
import { NonEmptyString, TimestampMs, closedObject, StringEnum, StringMap } from './primitives.js';
import { StateVersion } from './frames.js';
import { PresenceEntry } from './presence.js';
import { HealthSummary } from './system.js';
import { event, method } from './method.js';

// ── params ─────────────────────────────────────────────────────────────────────────────────────

/** Client ids OpenClaw clients send (validated as a closed set, as OpenClaw does). */
export const ClientIds = [
  'webchat-ui', 'openclaw-control-ui', 'openclaw-browser-copilot', 'openclaw-tui', 'webchat', 'cli',
  'gateway-client', 'openclaw-macos', 'openclaw-linux', 'openclaw-ios', 'openclaw-watchos',
  'openclaw-android', 'node-host', 'openclaw-worker', 'test', 'fingerprint', 'openclaw-probe',
] as const;
export const ClientModes = ['webchat', 'cli', 'ui', 'backend', 'node', 'worker', 'probe', 'test'] as const;

export const ClientInfo = closedObject({
  id: StringEnum(ClientIds),
  displayName: Type.Optional(NonEmptyString),
  version: NonEmptyString,
  buildId: Type.Optional(Type.String({ minLength: 1, maxLength: 96 })),
  platform: NonEmptyString,
  deviceFamily: Type.Optional(NonEmptyString),
  modelIdentifier: Type.Optional(NonEmptyString),
  timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  mode: StringEnum(ClientModes),
  instanceId: Type.Optional(NonEmptyString),
});
export type ClientInfo = Static<typeof ClientInfo>;

/** The signed device identity (Ed25519); see docs/protocol.md for the signed payload. */
export const DeviceAuth = closedObject({
  /** Lowercase hex SHA-256 of the raw 32-byte public key. */
  id: NonEmptyString,
  /** Base64url raw public key (PEM accepted). */
  publicKey: Type.String({ minLength: 1, maxLength: 1024 }),
  /** Base64url Ed25519 signature over the `v3|…` (or `v2|…`) payload. */
  signature: Type.String({ minLength: 1, maxLength: 256 }),
  signedAt: TimestampMs,
  /** Must equal this connection's `connect.challenge` nonce. */
  nonce: NonEmptyString,
});
export type DeviceAuth = Static<typeof DeviceAuth>;

export const ConnectAuth = closedObject({
  token: Type.Optional(Type.String()),
  bootstrapToken: Type.Optional(Type.String()),
  deviceToken: Type.Optional(Type.String()),
  password: Type.Optional(Type.String()),
});

export const ConnectParams = closedObject({
  minProtocol: Type.Integer({ minimum: 1 }),
  maxProtocol: Type.Integer({ minimum: 1 }),
  client: ClientInfo,
  /** Client capabilities (`tool-events`, `switchboard.resume`) or node capability categories. */
  caps: Type.Optional(Type.Array(NonEmptyString, { maxItems: 64 })),
  /** Node only: the commands it offers. */
  commands: Type.Optional(Type.Array(NonEmptyString, { maxItems: 512 })),
  /** Node only: granular permission toggles. */
  permissions: Type.Optional(StringMap(Type.Boolean())),
  pathEnv: Type.Optional(Type.String()),
  /** `operator` (default) or `node`. */
  role: Type.Optional(NonEmptyString),
  /** Requested operator scopes; none means none. */
  scopes: Type.Optional(Type.Array(NonEmptyString, { maxItems: 32 })),
  device: Type.Optional(DeviceAuth),
  auth: Type.Optional(ConnectAuth),
  locale: Type.Optional(Type.String()),
  userAgent: Type.Optional(Type.String()),
  /** Switchboard extension, only honoured with the `switchboard.resume` capability: pick up a dropped connection's events. */
  resume: Type.Optional(closedObject({
    token: NonEmptyString,
    lastSeq: Type.Integer({ minimum: 0 }),
  })),
});
export type ConnectParams = Static<typeof ConnectParams>;

// ── results ────────────────────────────────────────────────────────────────────────────────────

/** Limits the server enforces on this connection. */
export const Policy = closedObject({
  /** Largest frame the server accepts; bigger ones get `INVALID_REQUEST` (`PAYLOAD_TOO_LARGE`). */
  maxPayload: Type.Integer({ minimum: 1 }),
  /** Send-buffer high-water mark: above it droppable events are skipped and the client may be closed as a slow consumer. */
  maxBufferedBytes: Type.Integer({ minimum: 1 }),
  /** Interval of `tick` events; a client should treat 2× silence as a dead link. */
  tickIntervalMs: Type.Integer({ minimum: 1 }),
  /** Time allowed between socket open and a valid `connect`. */
  handshakeTimeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
  /** How long a client may stay above `maxBufferedBytes` before it is closed with 1008. */
  slowConsumerGraceMs: Type.Optional(Type.Integer({ minimum: 0 })),
  /** Request budget per connection: at most `maxRequests` per `windowMs`, then the socket is closed. */
  requestBudget: Type.Optional(closedObject({
    maxRequests: Type.Integer({ minimum: 1 }),
    windowMs: Type.Integer({ minimum: 1 }),
  })),
  /** Extension: how long a finished side-effect request's answer is replayed for its idempotencyKey. */
  idempotency: Type.Optional(closedObject({
    ttlMs: Type.Integer({ minimum: 0 }),
    maxEntries: Type.Integer({ minimum: 1 }),
  })),
  /** Extension: `chat.history` page budget and the size above which an entry becomes a placeholder. */
  history: Type.Optional(closedObject({
    maxBytes: Type.Integer({ minimum: 1 }),
    maxEntryBytes: Type.Integer({ minimum: 1 }),
  })),
  /** Extension: agent runs — messages that may wait per session, the `chat` delta interval, the default run time limit. */
  runs: Type.Optional(closedObject({
    maxQueuedPerSession: Type.Integer({ minimum: 1 }),
    chatDeltaIntervalMs: Type.Integer({ minimum: 0 }),
    runTimeoutMs: Type.Integer({ minimum: 1 }),
  })),
  /** Device nodes: how long `node.invoke` and exec approvals wait, and how many invokes may wait per node. */
  nodes: Type.Optional(closedObject({
    invokeTimeoutMs: Type.Integer({ minimum: 1 }),
    maxInvokeTimeoutMs: Type.Integer({ minimum: 1 }),
    maxPendingInvokesPerNode: Type.Integer({ minimum: 1 }),
    approvalTimeoutMs: Type.Integer({ minimum: 1 }),
  })),
  /** Events kept for `switchboard.resume` after a disconnect. */
  replay: Type.Optional(closedObject({
    maxEvents: Type.Integer({ minimum: 0 }),
    maxBytes: Type.Integer({ minimum: 0 }),
    ttlMs: Type.Integer({ minimum: 0 }),
  })),
});
export type Policy = Static<typeof Policy>;

export const SessionDefaults = closedObject({
  defaultAgentId: NonEmptyString,
  mainKey: NonEmptyString,
  mainSessionKey: NonEmptyString,
});

export const Snapshot = closedObject({
  presence: Type.Array(PresenceEntry),
  health: HealthSummary,
  stateVersion: StateVersion,
  uptimeMs: Type.Integer({ minimum: 0 }),
  configPath: Type.Optional(NonEmptyString),
  stateDir: Type.Optional(NonEmptyString),
  sessionDefaults: Type.Optional(SessionDefaults),
  authMode: Type.Optional(StringEnum(['none', 'token', 'password', 'trusted-proxy'] as const)),
});
export type Snapshot = Static<typeof Snapshot>;

export const HelloAuth = closedObject({
  role: NonEmptyString,
  scopes: Type.Array(NonEmptyString),
  /** Issued after pairing: the reusable credential for this device and role. */
  deviceToken: Type.Optional(NonEmptyString),
  issuedAtMs: Type.Optional(TimestampMs),
});

export const HelloOk = closedObject({
  type: Type.Literal('hello-ok'),
  protocol: Type.Integer({ minimum: 1 }),
  server: closedObject({ version: NonEmptyString, connId: NonEmptyString }),
  features: closedObject({
    methods: Type.Array(NonEmptyString),
    events: Type.Array(NonEmptyString),
    capabilities: Type.Optional(Type.Array(NonEmptyString)),
  }),
  snapshot: Snapshot,
  auth: HelloAuth,
  policy: Policy,
  /** Switchboard extension, present only for clients with the `switchboard.resume` capability. */
  resume: Type.Optional(closedObject({
    /** Offer this (with the last `seq` seen) in `connect.params.resume` to pick the stream up again. */
    token: NonEmptyString,
    /** Whether this connect resumed an earlier one (missed events follow right after hello-ok). */
    resumed: Type.Boolean(),
    /** When resuming failed: the events were gone, so the client must re-fetch its state. */
    resync: Type.Optional(Type.Boolean()),
  })),
});
export type HelloOk = Static<typeof HelloOk>;

// ── events ─────────────────────────────────────────────────────────────────────────────────────

export const ConnectChallenge = closedObject({
  nonce: NonEmptyString,
  ts: TimestampMs,
});
export type ConnectChallenge = Static<typeof ConnectChallenge>;

export const connectEvents = {
  'connect.challenge': event({
    payload: ConnectChallenge,
    droppable: false,
    targeted: true,
    summary: 'Sent once when the socket opens; the nonce must be signed into connect.params.device.',
  }),
};

// ── method entries ─────────────────────────────────────────────────────────────────────────────

export const connectMethods = {
  connect: method({
    params: ConnectParams,
    result: HelloOk,
    access: 'operator.admin',
    sideEffect: false,
    summary: 'The handshake; only valid as the first frame. Calling it again is an error.',
  }),
};
