/**
 * Protocol version constants. Switchboard speaks OpenClaw gateway protocol v4 and nothing else:
 * there is no downgrade. Nodes and probes may still negotiate v3 (OpenClaw's N-1 node window).
 */

/** The one protocol version this server speaks. */
export const PROTOCOL_VERSION = 4;
/** Lowest version an operator client may offer in `[minProtocol, maxProtocol]`. */
export const MIN_CLIENT_PROTOCOL_VERSION = 4;
/** Lowest version a node (`role: "node"`, `client.mode: "node"`) or probe may offer. */
export const MIN_NODE_PROTOCOL_VERSION = 3;
