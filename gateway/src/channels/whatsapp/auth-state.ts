/**
 * WhatsApp credentials on disk, written atomically (user-pain row 17): every file goes to a
 * temporary name, is fsynced, renamed over the old one, and the directory is fsynced; all writes
 * of one account are serialised through one queue, so a `creds.update` racing a key update — or a
 * `kill -9` in the middle of either — can never leave a torn or half-written `creds.json`.
 *
 * Layout (mode 0700, files 0600): `<stateDir>/channels/whatsapp/<account>/creds.json` and
 * `keys/<type>-<id>.json`. Values are serialised with Baileys' own `BufferJSON`.
 */
import { mkdirSync, readFileSync, rmSync, unlinkSync, existsSync } from 'node:fs';
import { writeFileAtomic } from '../../fs/atomic-write.js';
import { join } from 'node:path';
import { BufferJSON, initAuthCreds, proto, type AuthenticationCreds, type AuthenticationState, type SignalDataTypeMap } from '@whiskeysockets/baileys';

/** The directory of one WhatsApp account's credentials. */
export function authDir(stateDir: string, accountId: string): string {
  return join(stateDir, 'channels', 'whatsapp', accountId);
}

/** Writes `text` to `path` atomically (temp file, fsync, rename, directory fsync). */
export const writeAtomic = writeFileAtomic;

const fileName = (name: string) => name.replace(/\//g, '__').replace(/:/g, '-');

/** An account's credential store: Baileys' auth state, its saver, and a way to forget it. */
export class AtomicAuthStore {
  private queue: Promise<void> = Promise.resolve();
  private creds: AuthenticationCreds | undefined;

  constructor(readonly dir: string) {}

  /** Whether a linked device's credentials exist. */
  isLinked(): boolean {
    const creds = this.readJson<AuthenticationCreds>('creds.json');
    return Boolean(creds?.registered || creds?.me?.id);
  }

  /** Loads (or creates) the state Baileys reads and writes. */
  load(): AuthenticationState {
    mkdirSync(join(this.dir, 'keys'), { recursive: true, mode: 0o700 });
    this.creds = this.readJson<AuthenticationCreds>('creds.json') ?? initAuthCreds();
    return {
      creds: this.creds,
      keys: {
        get: async <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => {
          await this.queue;
          const out: { [id: string]: SignalDataTypeMap[T] } = {};
          for (const id of ids) {
            let value = this.readJson<unknown>(join('keys', fileName(`${type}-${id}.json`)));
            if (type === 'app-state-sync-key' && value) value = proto.Message.AppStateSyncKeyData.fromObject(value as object);
            if (value) out[id] = value as SignalDataTypeMap[T];
          }
          return out;
        },
        set: (data) => this.enqueue(() => {
          for (const [category, entries] of Object.entries(data)) {
            for (const [id, value] of Object.entries(entries ?? {})) {
              const path = join(this.dir, 'keys', fileName(`${category}-${id}.json`));
              if (value) writeAtomic(path, JSON.stringify(value, BufferJSON.replacer));
              else if (existsSync(path)) unlinkSync(path);
            }
          }
        }),
      },
    };
  }

  /** Saves the current creds (after Baileys' `creds.update`). */
  saveCreds(): Promise<void> {
    const creds = this.creds;
    if (!creds) return Promise.resolve();
    return this.enqueue(() => {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      writeAtomic(join(this.dir, 'creds.json'), JSON.stringify(creds, BufferJSON.replacer));
    });
  }

  /** Forgets the linked device (after the queued writes). */
  clear(): Promise<void> {
    return this.enqueue(() => {
      rmSync(this.dir, { recursive: true, force: true });
      this.creds = undefined;
    });
  }

  /** Waits for every queued write. */
  flush(): Promise<void> {
    return this.queue;
  }

  private enqueue(work: () => void): Promise<void> {
    const next = this.queue.then(work);
    // The queue continues after a failed write; the caller sees the failure.
    this.queue = next.catch(() => undefined);
    return next;
  }

  private readJson<T>(name: string): T | undefined {
    try {
      return JSON.parse(readFileSync(join(this.dir, name), 'utf8'), BufferJSON.reviver) as T;
    } catch {
      return undefined;
    }
  }
}
