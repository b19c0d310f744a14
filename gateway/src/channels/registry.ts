/**
 * The adapter table: platform → factory. Each factory imports its library only when an account of
 * that platform is configured, so a gateway without channels never loads grammY, discord.js or
 * Baileys (cold start).
 *
 * Overrides replace a platform's factory: embedded use and tests pass them in
 * `GatewayOptions.channelFactories`; a test preload can set them for a whole process with
 * {@link setProcessChannelFactories} (how the spawned-daemon WhatsApp test injects its socket).
 */
import type { Platform } from './config.js';
import type { AdapterFactory } from './types.js';

/** The built-in factories. */
export const channelFactories: Record<Platform, AdapterFactory> = {
  telegram: async (account, deps) => new (await import('./telegram/adapter.js')).TelegramAdapter(account, deps),
  discord: async (account, deps) => new (await import('./discord/adapter.js')).DiscordAdapter(account, deps),
  whatsapp: async (account, deps) => new (await import('./whatsapp/adapter.js')).WhatsAppAdapter(account, deps),
};

// Kept on globalThis under a registered symbol, not in a module variable: a preload imports this
// module from dist/ while the daemon runs its bundled copy (dist/daemon.js), and both must see it.
const PROCESS_OVERRIDES = Symbol.for('switchboard.channelFactories');
type Overrides = Partial<Record<Platform, AdapterFactory>>;

function processOverrides(): Overrides {
  return (globalThis as { [PROCESS_OVERRIDES]?: Overrides })[PROCESS_OVERRIDES] ?? {};
}

/** Replaces factories for every gateway started in this process (test preloads). */
export function setProcessChannelFactories(overrides: Overrides): void {
  (globalThis as { [PROCESS_OVERRIDES]?: Overrides })[PROCESS_OVERRIDES] = { ...overrides };
}

/** The factory of a platform: explicit overrides, then process overrides, then the built-in one. */
export function factoryFor(platform: Platform, overrides?: Overrides): AdapterFactory {
  return overrides?.[platform] ?? processOverrides()[platform] ?? channelFactories[platform];
}
