/**
 * Cutting a reply to a platform's message limit (Telegram 4096 UTF-16 units, Discord 2000,
 * WhatsApp 4096) without breaking code blocks: cut at a paragraph, else a line, else a space, else
 * hard; a ``` fence open at a cut is closed at the end of the piece and reopened, with its language,
 * at the start of the next one. No surrogate pair is ever split.
 */

/** How a platform counts length. */
export type LengthUnit = 'utf16' | 'codepoints';

/** The length of `text` in `unit`. */
export function measure(text: string, unit: LengthUnit): number {
  if (unit === 'utf16') return text.length;
  let n = 0;
  for (const _ of text) n++;
  return n;
}

const FENCE = /^```([^\n`]*)$/;

/** The code fence open at the end of `text` (its language line), or undefined. */
function openFence(text: string, initial: string | undefined): string | undefined {
  let open = initial;
  for (const line of text.split('\n')) {
    const m = FENCE.exec(line.trim());
    if (m) open = open === undefined ? m[1] : undefined;
  }
  return open;
}

/** The longest prefix of `text` within `limit` units that does not end inside a surrogate pair. */
export function prefixWithin(text: string, limit: number, unit: LengthUnit): string {
  if (unit === 'utf16') {
    let end = Math.min(limit, text.length);
    const code = text.charCodeAt(end - 1);
    if (end < text.length && code >= 0xd800 && code <= 0xdbff) end--;
    return text.slice(0, end);
  }
  let out = '';
  let n = 0;
  for (const ch of text) {
    if (n === limit) break;
    out += ch;
    n++;
  }
  return out;
}

/** Where to cut `window` (a prefix that fits): paragraph, line, space, else its end. */
function cutPoint(window: string, isLast: boolean): number {
  if (isLast) return window.length;
  const min = Math.floor(window.length / 3);
  for (const sep of ['\n\n', '\n', ' ']) {
    const at = window.lastIndexOf(sep);
    if (at >= min) return at + sep.length;
  }
  return window.length;
}

/**
 * Splits `text` into pieces of at most `limit` units each. A piece ends with a closing fence when
 * it cut a code block and the next one reopens it. Empty text gives no pieces.
 */
export function chunkText(text: string, limit: number, unit: LengthUnit = 'utf16'): string[] {
  if (limit < 32) throw new RangeError('a message limit below 32 leaves no room for code fences');
  const pieces: string[] = [];
  let rest = text;
  let fence: string | undefined;
  while (rest.length > 0) {
    const reopen = fence !== undefined ? `\`\`\`${fence}\n` : '';
    // Room for the reopened fence and a closing "\n```" if this piece ends inside a block.
    const room = limit - measure(reopen, unit) - 4;
    const fits = measure(reopen + rest, unit) <= limit;
    const window = fits ? rest : prefixWithin(rest, room, unit);
    const cut = cutPoint(window, fits);
    let body = rest.slice(0, cut);
    rest = rest.slice(cut);
    const stillOpen = openFence(body, fence);
    let piece = reopen + body;
    if (stillOpen !== undefined && rest.length > 0) piece = `${piece.replace(/\n?$/, '\n')}\`\`\``;
    fence = rest.length > 0 ? stillOpen : undefined;
    body = piece.trimEnd();
    if (body.length > 0) pieces.push(body);
  }
  return pieces;
}

/**
 * `text` shortened to one message of at most `limit` units for a streaming preview: trimmed
 * (empty becomes "…"), and when too long cut with " …" at the end — never inside a surrogate pair,
 * counting as the platform does.
 */
export function previewText(text: string, limit: number, unit: LengthUnit = 'utf16'): string {
  const t = text.trim() || '…';
  return measure(t, unit) <= limit ? t : `${prefixWithin(t, limit - 2, unit)} …`;
}
