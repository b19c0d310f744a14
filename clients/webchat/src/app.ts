/**
 * The WebChat controller: connection state, the session list, the transcript of the current
 * session (history + live `chat` events), the composer with send and abort.
 */
import type { ClientState, GatewayClient, GatewayError } from '@switchboard/sdk';
import { createConnection, gatewayUrl, storeToken, storedToken } from './connection.js';
import { PAIRING_RETRY_MS, noDeviceKeyMessage, renderAccess, viewForRefusal, type AccessView } from './access.js';
import { clear, h } from './dom.js';
import { fromHistory, runMessage, textOf, withLive, type ViewMessage } from './messages.js';
import { loadBrowserIdentity } from './identity.js';
import { ApprovalsPanel } from './approvals.js';

const MAIN_SESSION = 'agent:main:main';

interface SessionRow {
  key: string;
  title: string;
  updatedAt?: number;
}

interface ChatEventPayload {
  runId: string;
  sessionKey: string;
  state: 'delta' | 'final' | 'aborted' | 'error' | 'status';
  message?: unknown;
  deltaText?: string;
  errorMessage?: string;
}

export class App {
  private client: GatewayClient | undefined;
  private state: ClientState = 'idle';
  private sessions: SessionRow[] = [];
  private current = canonicalKey(new URLSearchParams(location.hash.slice(1)).get('session') || MAIN_SESSION);
  private messages: ViewMessage[] = [];
  private readonly elements = new Map<string, HTMLElement>();
  private banner: { text: string; error?: boolean } | undefined;
  /** What the page shows instead of the chat while it may not chat (token form, pairing wait, notice). */
  private access: AccessView | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  private readonly root: HTMLElement;
  private readonly connPill = h('span', { class: 'conn', 'data-state': 'idle', 'data-testid': 'connection' }, 'connecting');
  private readonly bannerEl = h('div', { class: 'banner', hidden: true, role: 'status', 'data-testid': 'banner' });
  private readonly sessionList = h('nav', { 'aria-label': 'Sessions', 'data-testid': 'sessions' });
  private readonly transcript = h('section', { class: 'transcript', 'aria-live': 'polite', 'data-testid': 'transcript' });
  private readonly input = h('textarea', { placeholder: 'Message your agent…', 'aria-label': 'Message', 'data-testid': 'input' });
  private readonly sendButton = h('button', { type: 'submit', class: 'primary', 'data-testid': 'send' }, 'Send');
  private readonly abortButton = h('button', { type: 'button', 'data-testid': 'abort', disabled: true }, 'Stop');
  private readonly approvals = new ApprovalsPanel(() => this.showAccess({ kind: 'login' }));

  constructor(root: HTMLElement) {
    this.root = root;
  }

  async start(): Promise<void> {
    this.layout();
    await this.connect();
  }

  // ── connection ───────────────────────────────────────────────────────────────────────────

  private async connect(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.client?.close();
    const credentials = await loadBrowserIdentity(gatewayUrl());
    // Without a device key only the gateway's own machine gets in, and that is always a secure context.
    if (!credentials && !window.isSecureContext) return this.showAccess({ kind: 'unavailable', message: noDeviceKeyMessage() });
    const client = createConnection({
      onState: (s) => this.setConnState(s),
      onResync: () => void this.reload(),
      onAuthFailed: (message) => this.authFailed(message),
    }, credentials);
    this.client = client;
    client.on('chat', (p) => this.onChatEvent(p as unknown as ChatEventPayload));
    try {
      await client.start();
      this.approvals.attach(client);
      this.setBanner(undefined);
      if (this.access) {
        this.access = undefined;
        this.layout();
      }
      await this.reload();
    } catch {
      // authFailed() or the state pill already tells the user.
    }
  }

  private setConnState(state: ClientState): void {
    this.state = state;
    this.connPill.dataset.state = state;
    this.connPill.textContent = { idle: 'offline', connecting: 'connecting…', open: 'connected', reconnecting: 'reconnecting…', closed: 'disconnected' }[state];
    this.updateComposer();
    if (state === 'open') void this.approvals.refresh();
  }

  /** Shows the token form, the pairing wait or a notice instead of the chat. */
  private showAccess(view: AccessView, message?: string): void {
    this.access = view;
    this.setBanner(message, true);
    this.layout();
  }

  private authFailed(error: GatewayError): void {
    const view = viewForRefusal(error, storedToken() !== undefined);
    this.showAccess(view, view.kind === 'login' ? view.message : undefined);
    // A device waiting for approval: try again until an operator approves it (or the user gives up).
    if (view.kind === 'pairing') this.retryTimer = setTimeout(() => void this.connect(), PAIRING_RETRY_MS);
  }

  // ── data ─────────────────────────────────────────────────────────────────────────────────

  /** Re-fetches the session list and the current transcript (first connect, or after a resync). */
  private async reload(): Promise<void> {
    const client = this.client;
    if (!client) return;
    const key = this.current;
    const [list, history] = await Promise.all([
      client.request('sessions.list', { limit: 100 }).catch(() => undefined),
      client.request('chat.history', { sessionKey: key, limit: 200 }).catch(() => undefined),
    ]);
    // The user switched sessions meanwhile: this answer is for a transcript no longer shown.
    if (key !== this.current) return;
    this.sessions = normaliseSessions(list);
    if (!this.sessions.some((s) => s.key === this.current)) this.sessions.unshift({ key: this.current, title: titleOf(this.current) });
    const rows = (history as { messages?: unknown[] } | undefined)?.messages ?? [];
    this.messages = withLive(fromHistory(rows), this.messages.filter((m) => m.streaming && m.runId));
    this.renderSessions();
    this.renderTranscript();
  }

  private onChatEvent(p: ChatEventPayload): void {
    if (p.sessionKey !== this.current) {
      const row = this.sessions.find((s) => s.key === p.sessionKey);
      if (row) row.updatedAt = Date.now();
      else this.sessions.unshift({ key: p.sessionKey, title: titleOf(p.sessionKey), updatedAt: Date.now() });
      this.renderSessions();
      return;
    }
    const { message: msg, removed } = runMessage(this.messages, p.runId);
    for (const m of removed) this.removeElement(m.key);
    if (p.state === 'delta') {
      const text = p.message !== undefined ? textOf(p.message) : msg.text + (p.deltaText ?? '');
      msg.text = text;
      msg.streaming = true;
    } else if (p.state === 'final') {
      if (p.message !== undefined) msg.text = textOf(p.message);
      msg.streaming = false;
    } else if (p.state === 'aborted') {
      if (p.message !== undefined) msg.text = textOf(p.message);
      msg.streaming = false;
      msg.note = 'stopped';
      msg.noteKind = 'aborted';
    } else if (p.state === 'error') {
      msg.streaming = false;
      msg.note = p.errorMessage ?? 'the run failed';
      msg.noteKind = 'error';
    }
    this.renderMessage(msg);
    this.updateComposer();
  }

  // ── actions ──────────────────────────────────────────────────────────────────────────────

  private async send(): Promise<void> {
    const text = this.input.value.trim();
    if (!text || !this.client || this.state !== 'open') return;
    const idempotencyKey = crypto.randomUUID();
    this.input.value = '';
    const mine: ViewMessage = { key: idempotencyKey, role: 'user', text, timestamp: Date.now() };
    this.messages.push(mine);
    this.renderMessage(mine);
    try {
      await this.client.request('chat.send', { sessionKey: this.current, message: text, idempotencyKey });
    } catch (err) {
      mine.note = `not sent: ${(err as Error).message}`;
      mine.noteKind = 'error';
      this.renderMessage(mine);
    }
  }

  private async abort(): Promise<void> {
    const run = this.messages.find((m) => m.streaming && m.runId);
    if (!run || !this.client) return;
    await this.client.request('chat.abort', { sessionKey: this.current, runId: run.runId }).catch((err) => this.setBanner(`Could not stop: ${(err as Error).message}`, true));
  }

  private switchTo(key: string): void {
    if (key === this.current) return;
    this.current = key;
    history.replaceState(null, '', `#session=${encodeURIComponent(key)}`);
    this.messages = [];
    this.renderSessions();
    this.renderTranscript();
    void this.reload();
  }

  private newChat(): void {
    const key = `agent:main:chat-${Date.now().toString(36)}`;
    this.sessions.unshift({ key, title: 'New chat', updatedAt: Date.now() });
    this.switchTo(key);
  }

  // ── rendering ────────────────────────────────────────────────────────────────────────────

  private layout(): void {
    clear(this.root);
    this.root.classList.toggle('login-mode', this.access !== undefined);
    const header = h('header', {}, h('h1', {}, 'Switchboard'), this.connPill, h('span', { class: 'spacer' }));
    if (this.access) {
      const panel = renderAccess(this.access, {
        signIn: (token) => { storeToken(token); this.access = undefined; this.setBanner(undefined); this.layout(); void this.connect(); },
        forgetToken: () => { clearTimeout(this.retryTimer); storeToken(undefined); this.showAccess({ kind: 'login' }); },
        hasStoredToken: storedToken() !== undefined,
      });
      this.root.append(header, this.bannerEl, panel);
      return;
    }
    const composer = h('form', { class: 'composer', onsubmit: (ev: Event) => { ev.preventDefault(); void this.send(); } }, this.input, this.sendButton, this.abortButton);
    this.input.onkeydown = (ev) => { if (ev.key === 'Enter' && !ev.shiftKey) { ev.preventDefault(); void this.send(); } };
    this.abortButton.onclick = () => void this.abort();
    const aside = h('aside', {}, h('button', { class: 'new', type: 'button', 'data-testid': 'new-chat', onclick: () => this.newChat() }, '+ New chat'), this.sessionList);
    const main = h('main', {}, this.bannerEl, this.approvals.element, this.transcript, composer);
    this.root.append(header, aside, main);
    this.renderSessions();
    this.renderTranscript();
    this.updateComposer();
  }

  private setBanner(text: string | undefined, error = false): void {
    this.banner = text ? { text, error } : undefined;
    this.bannerEl.hidden = !this.banner;
    this.bannerEl.className = `banner${error ? ' error' : ''}`;
    this.bannerEl.textContent = text ?? '';
  }

  private renderSessions(): void {
    clear(this.sessionList);
    for (const s of this.sessions) {
      this.sessionList.append(h('button', { class: 'session', type: 'button', 'aria-current': s.key === this.current ? 'true' : 'false', 'data-testid': 'session', 'data-key': s.key, onclick: () => this.switchTo(s.key) },
        s.title, h('small', {}, s.key)));
    }
  }

  private renderTranscript(): void {
    clear(this.transcript);
    this.elements.clear();
    for (const m of this.messages) this.renderMessage(m);
    // Stop follows the transcript shown: a run streaming in another session is not stoppable here.
    this.updateComposer();
  }

  private renderMessage(m: ViewMessage): void {
    let el = this.elements.get(m.key);
    if (!el) {
      el = h('div', { 'data-role': m.role, 'data-testid': 'message' });
      this.elements.set(m.key, el);
      this.transcript.append(el);
    }
    el.className = `msg ${m.role}${m.streaming ? ' streaming' : ''}${m.noteKind ? ` ${m.noteKind}` : ''}`;
    el.dataset.state = m.streaming ? 'streaming' : (m.noteKind ?? 'done');
    if (m.runId) el.dataset.runId = m.runId;
    el.textContent = m.text;
    if (m.note) el.append(h('span', { class: 'meta' }, m.note));
    this.transcript.scrollTop = this.transcript.scrollHeight;
  }

  private removeElement(key: string): void {
    this.elements.get(key)?.remove();
    this.elements.delete(key);
  }

  private updateComposer(): void {
    const open = this.state === 'open';
    this.sendButton.disabled = !open;
    this.abortButton.disabled = !open || !this.messages.some((m) => m.streaming);
  }
}

/**
 * The gateway's canonical form of a session key (`main` → `agent:main:main`), so a key typed into
 * the address bar matches the keys of the session list and of `chat` events.
 */
function canonicalKey(key: string): string {
  const trimmed = key.trim();
  if (/^agent:/i.test(trimmed)) {
    const [, agent = '', ...rest] = trimmed.split(':');
    return `agent:${agent.toLowerCase()}:${rest.join(':')}`;
  }
  return `agent:main:${trimmed}`;
}

function titleOf(key: string): string {
  if (key === MAIN_SESSION) return 'Main';
  return key.split(':').slice(2).join(':') || key;
}

function normaliseSessions(list: unknown): SessionRow[] {
  const rows = Array.isArray(list) ? list : ((list as { sessions?: unknown[] } | undefined)?.sessions ?? []);
  return rows.map((r) => {
    const s = r as { key?: string; label?: string; title?: string; displayName?: string; derivedTitle?: string; updatedAt?: number };
    const key = s.key ?? MAIN_SESSION;
    return { key, title: s.label || s.title || s.displayName || s.derivedTitle || titleOf(key), updatedAt: s.updatedAt };
  });
}
