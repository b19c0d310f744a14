/**
 * THE method table: every RPC the gateway implements, merged from the area files.
 * Dispatch, params validation, scope checks, the typed SDK, codegen and docs/protocol.md all read
 * this one object. Add a method by adding an entry in its area file; add an area with one line here.
 */
import type { MethodSpec } from './method.js';
import { connectMethods } from './connect.js';
import { systemMethods } from './system.js';
import { deviceMethods } from './devices.js';
import { sessionsMethods } from './sessions.js';
import { agentMethods } from './agent.js';
import { chatMethods } from './chat.js';
import { nodeMethods } from './nodes.js';
import { approvalMethods } from './approvals.js';
import { channelsMethods } from './channels.js';

export const methods = {
  ...connectMethods,
  ...systemMethods,
  ...deviceMethods,
  ...sessionsMethods,
  ...chatMethods,
  ...agentMethods,
  ...nodeMethods,
  ...approvalMethods,
  ...channelsMethods,
} as const satisfies Record<string, MethodSpec>;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
/** Methods a client calls after the handshake (`connect` is the handshake itself). */
export type CallableMethod = Exclude<MethodName, 'connect'>;

/** Method names that must not be reported or dispatched as ordinary calls. */
export const HANDSHAKE_METHOD = 'connect';

/** Lists every method name, in table order. */
export function methodNames(): MethodName[] {
  return Object.keys(methods) as MethodName[];
}

/** Whether a method name is in the table. */
export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(methods, name);
}
