// Re-exports only. Each area lives in its own file with the same sections: shapes, events, method entries.
export * from './version.js';
export * from './primitives.js';
export * from './frames.js';
export * from './errors.js';
export * from './scopes.js';
export * from './method.js';
export * from './presence.js';
export * from './system.js';
export * from './connect.js';
export * from './devices.js';
export * from './sessions.js';
export * from './chat.js';
export * from './agent.js';
export * from './channels.js';
export * from './device-auth.js';
export * from './methods.js';
export * from './events.js';
