/** The gateway's own version, reported in hello-ok and status. */
export const GATEWAY_VERSION = '0.1.0';
