/**
 * The handler table: one entry per callable method of the protocol table. The type makes a missing
 * handler a compile error. Add an area with one spread line.
 */
import type { HandlerTable } from '../context.js';
import { systemHandlers } from './system.js';
import { deviceHandlers } from './devices.js';
import { sessionsHandlers } from './sessions.js';
import { chatHandlers } from './chat.js';
import { chatRunHandlers } from './chat-runs.js';
import { agentHandlers } from './agent.js';
import { nodeHandlers } from './nodes.js';
import { approvalHandlers } from './approvals.js';
import { channelHandlers } from './channels.js';

export const handlers: HandlerTable = {
  ...systemHandlers,
  ...deviceHandlers,
  ...sessionsHandlers,
  ...chatHandlers,
  ...chatRunHandlers,
  ...agentHandlers,
  ...nodeHandlers,
  ...approvalHandlers,
  ...channelHandlers,
};
