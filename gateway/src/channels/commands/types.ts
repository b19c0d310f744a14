/**
 * What a chat command receives. Commands are functions of `(ctx, args)` returning the reply text
 * (or undefined for no reply); the same functions serve Telegram, Discord, WhatsApp and the WebChat.
 */
import type { RunManager } from '../../runs/manager.js';
import type { RunOrigin } from '../../runs/types.js';
import type { Store } from '../../store/store.js';
import type { ChannelName } from '../config.js';

/** The exec-approvals service as chat commands use it (issue 6's `ExecApprovals`). */
export interface ApprovalsPort {
  list(): Array<{ id: string; request: { command: string; sessionKey?: string | null; nodeName?: string; nodeId?: string }; expiresAtMs?: number }>;
  resolve(id: string, decision: 'allow-once' | 'allow-always' | 'deny', resolvedBy: string): void;
}

/** Everything a command may use. */
export interface CommandContext {
  /** The session of the chat the command was written in. */
  sessionKey: string;
  platform: ChannelName;
  userId: string;
  displayName?: string;
  origin: RunOrigin;
  store: Store;
  runs: RunManager;
  /** Exec approvals, when the gateway has them (issue 6). */
  approvals?: ApprovalsPort;
  /** Whether this sender may answer exec approvals (`approvers` in the channel's config). */
  canApprove: boolean;
  /** One line about the channel account (state, last error), for /status. */
  channelLine?: string;
  /** Submits `text` as a new message of this chat (with `key`) and streams its answer here. */
  submit(text: string, key: string): Promise<void>;
  now(): number;
}

/** A command: reply text, or undefined when the command answers through a run (/retry). */
export type CommandHandler = (ctx: CommandContext, args: string) => Promise<string | undefined>;
