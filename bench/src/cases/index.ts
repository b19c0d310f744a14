/**
 * THE case registry, in run order. A later issue adds a benchmark by adding a file in this folder
 * and one line here (see "Adding a case" in docs/benchmarks.md).
 */
import { agentDeltaLatencyCase, agentStreamsCase } from './agent-runs.js';
import { coldStartCase } from './cold-start.js';
import { connections5000Case, signedConnections5000Case } from './connections.js';
import { idempotentSendsCase, restartCase } from './durable-state.js';
import { fanout1000Case } from './fanout.js';
import { nodeInvoke1Case, nodeInvoke8Case } from './node-invoke.js';
import { requestRate1Case, requestRate50Case } from './request-rate.js';
import { telegramCase } from './telegram.js';
import type { BenchCase } from './types.js';

export const benchCases: readonly BenchCase[] = [
  coldStartCase,
  requestRate1Case,
  requestRate50Case,
  connections5000Case,
  fanout1000Case,
  signedConnections5000Case,
  nodeInvoke1Case,
  nodeInvoke8Case,
  idempotentSendsCase,
  restartCase,
  agentDeltaLatencyCase,
  agentStreamsCase,
  telegramCase,
];
