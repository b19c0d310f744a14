/**
 * THE event table: every event the gateway pushes, merged from the area files. The broadcaster
 * reads `access` (who may receive it), `droppable` (skip for slow consumers) and `targeted` (no seq).
 */
import type { EventSpec } from './method.js';
import { connectEvents } from './connect.js';
import { presenceEvents } from './presence.js';
import { systemEvents } from './system.js';
import { deviceEvents } from './devices.js';
import { sessionsEvents } from './sessions.js';
import { agentEvents } from './agent.js';
import { chatEvents } from './chat.js';
import { nodeEvents } from './nodes.js';
import { nodeReportEvents } from './node-reports.js';
import { approvalEvents } from './approvals.js';
import { channelsEvents } from './channels.js';

export const events = {
  ...connectEvents,
  ...presenceEvents,
  ...systemEvents,
  ...deviceEvents,
  ...sessionsEvents,
  ...chatEvents,
  ...agentEvents,
  ...nodeEvents,
  ...nodeReportEvents,
  ...approvalEvents,
  ...channelsEvents,
} as const satisfies Record<string, EventSpec>;

export type Events = typeof events;
export type EventName = keyof Events;

export function eventNames(): EventName[] {
  return Object.keys(events) as EventName[];
}

export function isEventName(name: string): name is EventName {
  return Object.prototype.hasOwnProperty.call(events, name);
}
