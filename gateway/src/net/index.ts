// Outbound networking shared by the whole daemon: the one retry helper and the event-stream parser.
export * from './retry.js';
export * from './sse.js';
