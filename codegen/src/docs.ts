/**
 * The method and event reference in docs/protocol.md, between
 * `<!-- generated:methods:begin -->` and `<!-- generated:methods:end -->`. Only that block is
 * generated; the rest of the file is written by people.
 */
import { STAMP } from './names.js';
import type { ProtocolSchema } from './schema.js';

export const DOCS_BEGIN = '<!-- generated:methods:begin -->';
export const DOCS_END = '<!-- generated:methods:end -->';

/** Escapes text for a markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

const yesNo = (value: boolean): string => (value ? 'yes' : 'no');

/** The block's content (without the markers). */
export function renderMethodReference(doc: ProtocolSchema): string {
  const methods = Object.entries(doc.methods).map(([name, m]) =>
    `| \`${name}\` | \`${m.access}\` | ${yesNo(m.sideEffect)} | ${m.final ? 'result, then final' : 'result'} | ${cell(m.summary)} |`);
  const events = Object.entries(doc.events).map(([name, e]) =>
    `| \`${name}\` | ${e.access ? `\`${e.access}\`` : 'everyone'} | ${yesNo(e.droppable)} | ${yesNo(e.targeted)} | ${cell(e.summary)} |`);
  return [
    `<!-- ${STAMP} -->`,
    '',
    'Side-effect methods require `idempotencyKey` in their params. The params, result and payload',
    'schemas are the `<Name>Params`, `<Name>Result`, `<Name>Final` and `<Name>Event` definitions in',
    '`codegen/generated/protocol.schema.json`.',
    '',
    '| method | access | side effect | answers | summary |',
    '|---|---|---|---|---|',
    ...methods,
    '',
    'Events (`droppable`: skipped for a slow consumer, the `seq` gap shows it; `targeted`: sent to one',
    'connection, without `seq`):',
    '',
    '| event | access | droppable | targeted | summary |',
    '|---|---|---|---|---|',
    ...events,
  ].join('\n');
}

/**
 * Replaces the generated block in `markdown`. Throws when the markers are missing, out of order or
 * repeated, so a damaged file is reported instead of silently growing a second block.
 */
export function spliceMethodReference(markdown: string, block: string): string {
  const begin = markdown.indexOf(DOCS_BEGIN);
  const end = markdown.indexOf(DOCS_END);
  if (begin < 0 || end < begin || markdown.indexOf(DOCS_BEGIN, begin + 1) >= 0 || markdown.indexOf(DOCS_END, end + 1) >= 0) {
    throw new Error(`docs/protocol.md must contain "${DOCS_BEGIN}" and then "${DOCS_END}", once each; restore the markers`);
  }
  return `${markdown.slice(0, begin + DOCS_BEGIN.length)}\n${block}\n${markdown.slice(end)}`;
}
