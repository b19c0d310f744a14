// Light entry point for clients on the gateway's host (the CLI): state paths and the generated
// token, without loading the daemon itself.
export { resolveStateDir } from './state-dir.js';
export { readGeneratedToken, generatedTokenPath } from './auth/shared-secret.js';
export { DEFAULT_HOST, DEFAULT_PORT } from './options.js';
export { isLoopbackAddress } from './server/peer.js';
