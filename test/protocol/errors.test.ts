// The error-code and detail-code tables in protocol/src/errors.ts and docs/protocol.md say the same, both ways.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, ErrorDetailCodes, GatewayError } from '@switchboard/protocol';

const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'protocol.md'), 'utf8');

function section(title: string): string {
  const start = doc.indexOf(`## ${title}`);
  if (start < 0) throw new Error(`docs/protocol.md has no "## ${title}" section`);
  const next = doc.indexOf('\n## ', start + 3);
  return doc.slice(start, next < 0 ? undefined : next);
}

function rows(text: string): string[][] {
  return text.split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
}

describe('error table', () => {
  const documented = new Map(rows(section('Error codes')).map(([code, retryable, closes, meaning]) => [code.replace(/`/g, ''), { retryable, closes, meaning }]));

  it('documents every code in the table, with the same retryable, close code and meaning', () => {
    for (const [code, spec] of Object.entries(ErrorCodes)) {
      const row = documented.get(code);
      expect(row, `docs/protocol.md lacks ${code}`).toBeDefined();
      expect(row!.retryable).toBe(spec.retryable ? 'yes' : 'no');
      expect(row!.closes).toBe('closeCode' in spec ? String(spec.closeCode) : '—');
      expect(row!.meaning).toBe(spec.meaning);
    }
  });

  it('documents no code the table lacks', () => {
    for (const code of documented.keys()) expect(Object.keys(ErrorCodes)).toContain(code);
  });

  it('keeps the detail codes in sync both ways', () => {
    const detail = new Map(rows(section('Detail codes')).map(([code, meaning]) => [code.replace(/`/g, ''), meaning]));
    expect([...detail.keys()].sort()).toEqual(Object.keys(ErrorDetailCodes).sort());
    for (const [code, meaning] of Object.entries(ErrorDetailCodes)) expect(detail.get(code)).toBe(meaning);
  });

  it('defaults retryable from the table and round-trips through the wire shape', () => {
    const e = new GatewayError('UNAVAILABLE', 'node offline', { details: { code: 'NOT_CONNECTED' }, retryAfterMs: 500 });
    expect(e.toShape()).toEqual({ code: 'UNAVAILABLE', message: 'node offline', details: { code: 'NOT_CONNECTED' }, retryable: true, retryAfterMs: 500 });
    const back = GatewayError.fromShape(e.toShape());
    expect(back).toBeInstanceOf(GatewayError);
    expect(back.code).toBe('UNAVAILABLE');
    expect(new GatewayError('FORBIDDEN', 'no').retryable).toBe(false);
  });
});
