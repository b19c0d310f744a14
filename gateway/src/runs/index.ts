// The run manager: agent runs per session, their transcript, and their events on the wire.
export * from './types.js';
export { RunManager, isStopCommand, type RunManagerOptions } from './manager.js';
export { RunPublisher, TOOL_EVENTS_CAPABILITY } from './publisher.js';
export { historyMessages, historyWindow, MISSING_TOOL_RESULT } from './history.js';
export { runFinished } from './recovery.js';
