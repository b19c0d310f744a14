// Public surface of the gateway package (used by the CLI and the tests).
export { Gateway, StartupError, EXIT_CONFIG, type StopOptions } from './gateway.js';
export { resolveOptions, DEFAULT_HOST, DEFAULT_PORT, type GatewayOptions, type GatewayOptionsInput } from './options.js';
export { createLog, silentLog, registerSecret, scrubSecrets, type Log } from './log.js';
export { resolveStateDir, ensureStateDir } from './state-dir.js';
export { readGeneratedToken, ensureGeneratedToken, generatedTokenPath, type AuthMode, type SharedAuthConfig } from './auth/shared-secret.js';
export { DEFAULT_LIMITS, resolveLimits, type Limits } from './config/limits.js';
export { GATEWAY_VERSION } from './version.js';
export { openOfflineDevices, hasStateDatabase, type OfflineDevices } from './store/offline.js';
export { PAIRING_REQUEST_TTL_MS, type DeviceStore } from './store/devices.js';
export { runGatewayProcess, optionsFromEnv, type RunOptions } from './run.js';
