/**
 * The node command policy. A node's declared commands are claims: what operators (and the agent)
 * may invoke is the declared set intersected with the server allowlist — the defaults of the node's
 * platform plus `nodes.allowCommands`, minus `nodes.denyCommands`. A node that declares nothing can
 * be invoked for nothing.
 *
 * Platform defaults follow OpenClaw's: desktop hosts (linux, windows, macos) get the `system.*`
 * commands Switchboard's node host implements, macOS and the mobile platforms their device
 * commands; dangerous ones (camera capture, screen recording, SMS, contacts or calendar writes)
 * are never defaults — allow them in config. `system.execApprovals.*` is never invocable: exec
 * approvals are the gateway's business.
 */

/** Platforms the policy knows; anything else is `unknown`. */
export type PlatformId = 'linux' | 'windows' | 'macos' | 'ios' | 'android' | 'unknown';

const SYSTEM_COMMANDS = ['system.run', 'system.which', 'system.notify'];
const DEVICE_COMMANDS = ['device.info', 'device.status', 'location.get', 'camera.list'];
const MOBILE_COMMANDS = [...DEVICE_COMMANDS, 'contacts.search', 'calendar.events', 'reminders.list', 'photos.latest', 'motion.activity', 'system.notify'];

/** Default allowlist per platform. */
export const PLATFORM_DEFAULTS: Readonly<Record<PlatformId, readonly string[]>> = Object.freeze({
  linux: SYSTEM_COMMANDS,
  windows: [...SYSTEM_COMMANDS, ...DEVICE_COMMANDS],
  macos: [...SYSTEM_COMMANDS, ...DEVICE_COMMANDS, 'screen.snapshot', 'contacts.search', 'calendar.events', 'reminders.list', 'photos.latest'],
  ios: MOBILE_COMMANDS,
  android: [...MOBILE_COMMANDS, 'notifications.list', 'callLog.search'],
  unknown: ['system.notify', 'location.get', 'camera.list'],
});

/** Commands no configuration can make invocable through node.invoke. */
export function isReservedCommand(command: string): boolean {
  return command.startsWith('system.execApprovals.');
}

const FAMILY_RULES: Array<[PlatformId, RegExp]> = [
  ['ios', /iphone|ipad|ios/],
  ['macos', /mac/],
  ['android', /android/],
  ['windows', /windows/],
  ['linux', /linux/],
];

/**
 * The platform from what the node reported: `client.platform` first (`linux`, `win32`, `darwin`,
 * `macos 15.1`, `ios 18`), then `client.deviceFamily`.
 */
export function platformIdOf(platform: string | undefined, deviceFamily?: string): PlatformId {
  const p = (platform ?? '').trim().toLowerCase();
  if (p === 'linux' || p.startsWith('linux ')) return 'linux';
  if (p === 'win32' || p === 'windows' || p.startsWith('windows ')) return 'windows';
  if (p === 'darwin' || p === 'macos' || p.startsWith('macos ')) return 'macos';
  if (p === 'ios' || p === 'ipados' || p.startsWith('ios ') || p.startsWith('ipados ')) return 'ios';
  if (p === 'android' || p.startsWith('android ')) return 'android';
  const family = (deviceFamily ?? '').trim().toLowerCase();
  for (const [id, rule] of FAMILY_RULES) if (rule.test(family)) return id;
  return 'unknown';
}

/** The server allowlist of one platform under the configured allow and deny lists. */
export function serverAllowlist(platformId: PlatformId, allow: readonly string[], deny: readonly string[]): Set<string> {
  const set = new Set([...PLATFORM_DEFAULTS[platformId], ...allow]);
  for (const d of deny) set.delete(d);
  for (const c of set) if (isReservedCommand(c)) set.delete(c);
  return set;
}

/** Declared ∩ allowlist, in the node's declaration order, without duplicates. */
export function invocableCommands(declared: readonly string[], allowlist: ReadonlySet<string>): string[] {
  return [...new Set(declared.filter((c) => allowlist.has(c)))];
}

/** Why a command cannot be invoked on a node, or undefined when it can. */
export function refusalReason(command: string, declared: readonly string[], allowlist: ReadonlySet<string>): 'reserved' | 'not-declared' | 'not-allowlisted' | undefined {
  if (isReservedCommand(command)) return 'reserved';
  if (!declared.includes(command)) return 'not-declared';
  if (!allowlist.has(command)) return 'not-allowlisted';
  return undefined;
}
