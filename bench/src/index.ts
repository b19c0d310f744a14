// Re-exports only: the harness's pieces, for the smoke test and later benchmark cases.
export * from './cases/types.js';
export { benchCases } from './cases/index.js';
export { requestRateCase } from './cases/request-rate.js';
export { connectionsCase } from './cases/connections.js';
export { fanoutCase } from './cases/fanout.js';
export * from './client.js';
export * from './harness.js';
export * from './report.js';
export * from './servers.js';
export * from './stats.js';
