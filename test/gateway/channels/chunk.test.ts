// Cutting replies to the platform limits without breaking code blocks or surrogate pairs.
import { describe, expect, it } from 'vitest';
import { chunkText, measure, previewText } from '../../../gateway/src/channels/chunk.js';

describe('chunkText', () => {
  it('keeps short text whole and drops empty text', () => {
    expect(chunkText('hello', 4096)).toEqual(['hello']);
    expect(chunkText('', 4096)).toEqual([]);
  });

  it('cuts at paragraphs, then lines, then spaces, within the limit (Telegram 4096, Discord 2000, WhatsApp 4096)', () => {
    for (const limit of [4096, 2000]) {
      const text = Array.from({ length: 400 }, (_, i) => `line ${i} ${'word '.repeat(i % 13)}`).join('\n');
      const pieces = chunkText(text, limit);
      expect(pieces.length).toBeGreaterThan(1);
      for (const p of pieces) expect(p.length).toBeLessThanOrEqual(limit);
      expect(pieces.join('\n').replace(/\s+/g, ' ')).toBe(text.replace(/\s+/g, ' ').trim());
    }
  });

  it('closes a code block at a cut and reopens it with its language', () => {
    const code = Array.from({ length: 200 }, (_, i) => `console.log(${i}); // ${'x'.repeat(20)}`).join('\n');
    const pieces = chunkText(`Here:\n\`\`\`ts\n${code}\n\`\`\`\nDone.`, 2000);
    expect(pieces.length).toBeGreaterThan(2);
    for (const p of pieces) {
      expect(p.length).toBeLessThanOrEqual(2000);
      const fences = p.split('\n').filter((l) => l.trim().startsWith('```')).length;
      expect(fences % 2).toBe(0);
    }
    for (const p of pieces.slice(1, -1)) expect(p.startsWith('```ts\n')).toBe(true);
  });

  it('counts UTF-16 units for Telegram and never splits a surrogate pair', () => {
    const text = '😀'.repeat(3000);
    const pieces = chunkText(text, 4096, 'utf16');
    for (const p of pieces) {
      expect(p.length).toBeLessThanOrEqual(4096);
      expect(/^(?:[\uD800-\uDBFF][\uDC00-\uDFFF])+$/.test(p)).toBe(true);
    }
    expect(pieces.join('')).toBe(text);
    expect(chunkText(text, 4096, 'codepoints')).toEqual([text]);
    expect(measure('😀', 'utf16')).toBe(2);
    expect(measure('😀', 'codepoints')).toBe(1);
  });
});

describe('previewText (streaming previews)', () => {
  const whole = /^(?:[^\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/;

  it('never ends inside a surrogate pair at the limit, and keeps within it', () => {
    // "a" + emoji: every odd cut lands between the two halves of an emoji.
    const text = `a${'😀'.repeat(3000)}`;
    for (const limit of [4096, 2000, 33]) {
      const p = previewText(text, limit, 'utf16');
      expect(p.length).toBeLessThanOrEqual(limit);
      expect(p.endsWith(' …')).toBe(true);
      expect(whole.test(p)).toBe(true);
    }
  });

  it('counts code points where the platform does (WhatsApp), trims, and never sends empty text', () => {
    const text = '😀'.repeat(3000);
    expect(previewText(text, 4096, 'codepoints')).toBe(text);
    const cut = previewText(text, 2000, 'codepoints');
    expect(measure(cut, 'codepoints')).toBe(2000);
    expect(whole.test(cut)).toBe(true);
    expect(previewText('  hi  ', 100)).toBe('hi');
    expect(previewText('   ', 100)).toBe('…');
  });
});
