/**
 * THE case registry, in run order. A later issue adds a benchmark by adding a file in this folder
 * and one line here (idempotent sends, agent latency, node.invoke, channel throughput, ...).
 */
import { coldStartCase } from './cold-start.js';
import { connections5000Case, signedConnections5000Case } from './connections.js';
import { fanout1000Case } from './fanout.js';
import { requestRate1Case, requestRate50Case } from './request-rate.js';
import type { BenchCase } from './types.js';

export const benchCases: readonly BenchCase[] = [
  coldStartCase,
  requestRate1Case,
  requestRate50Case,
  connections5000Case,
  fanout1000Case,
  signedConnections5000Case,
];
