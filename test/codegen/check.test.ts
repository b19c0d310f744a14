// `pnpm codegen:check` passes on a clean tree and names every stale file after a schema change —
// proven with the generator's functions on an altered table and with the real CLI on a copy of the
// tree, never by touching the committed files.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import {
  GENERATED_DIR, PROTOCOL_DOC, generateArtifacts, protocolInput, readProtocolDoc, staleArtifacts, type Artifact, type ProtocolInput,
} from '@switchboard/codegen';
import { closedObject, event, IdempotencyKey, method, NonEmptyString, TimestampMs } from '@switchboard/protocol';

const ROOT = join(__dirname, '..', '..');
const GENERATE = join(ROOT, 'codegen', 'dist', 'generate.js');

/** The real tables plus a new area (a side-effect method and an event), as a later issue would add. */
function withDemoArea(base: ProtocolInput): ProtocolInput {
  const DemoNote = closedObject({ id: NonEmptyString, text: Type.String(), at: TimestampMs });
  return {
    ...base,
    methods: {
      ...base.methods,
      'demo.note.add': method({
        params: closedObject({ text: Type.String({ maxLength: 500 }), idempotencyKey: IdempotencyKey }),
        result: DemoNote,
        access: 'operator.write',
        sideEffect: true,
        summary: 'Adds a note (only exists in this test).',
      }),
    },
    events: {
      ...base.events,
      'demo.note': event({ payload: DemoNote, access: 'operator.read', droppable: true, summary: 'A note was added | test only.' }),
    },
    shapes: { ...base.shapes, DemoNote },
  };
}

const content = (artifacts: Artifact[], path: string): string => artifacts.find((a) => a.path === path)!.content;

describe('codegen:check', () => {
  let fresh: Artifact[];
  let altered: Artifact[];
  let copy: string;
  beforeAll(async () => {
    const doc = readProtocolDoc(ROOT);
    [fresh, altered] = await Promise.all([generateArtifacts(protocolInput(), doc), generateArtifacts(withDemoArea(protocolInput()), doc)]);
    copy = mkdtempSync(join(tmpdir(), 'switchboard-codegen-'));
  }, 60_000);
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it('finds nothing stale in the committed tree', () => {
    expect(staleArtifacts(ROOT, fresh)).toEqual([]);
  });

  it('names every generated file and the docs block after a table change', () => {
    expect(staleArtifacts(ROOT, altered)).toEqual([
      `${GENERATED_DIR}/protocol.schema.json (out of date)`,
      `${GENERATED_DIR}/protocol.d.ts (out of date)`,
      `${GENERATED_DIR}/SwitchboardProtocol.swift (out of date)`,
      `${GENERATED_DIR}/SwitchboardProtocol.kt (out of date)`,
      `${GENERATED_DIR}/switchboard_protocol.py (out of date)`,
      `${PROTOCOL_DOC} (out of date)`,
    ]);
  });

  it('picks a new area up in every artifact with no codegen change', () => {
    const schema = JSON.parse(content(altered, `${GENERATED_DIR}/protocol.schema.json`));
    expect(schema.methods['demo.note.add']).toEqual({
      params: { $ref: '#/definitions/DemoNoteAddParams' }, result: { $ref: '#/definitions/DemoNoteAddResult' },
      access: 'operator.write', sideEffect: true, summary: 'Adds a note (only exists in this test).',
    });
    expect(schema.definitions.DemoNoteAddResult).toEqual({ $ref: '#/definitions/DemoNote' });
    expect(schema.definitions.DemoNoteEvent).toEqual({ $ref: '#/definitions/DemoNote' });
    expect(schema.definitions.DemoNoteAddParams.required).toEqual(['text', 'idempotencyKey']);
    expect(content(altered, `${GENERATED_DIR}/protocol.d.ts`)).toMatch(/export interface DemoNote \{\n  id: string;\n  text: string;\n  at: number;\n\}/);
    expect(content(altered, `${GENERATED_DIR}/protocol.d.ts`)).toContain('export type DemoNoteAddResult = DemoNote;');
    expect(content(altered, `${GENERATED_DIR}/SwitchboardProtocol.swift`)).toContain('public struct DemoNoteAddParams: Codable {');
    expect(content(altered, `${GENERATED_DIR}/SwitchboardProtocol.swift`)).toContain('case demoNoteAdd = "demo.note.add"');
    expect(content(altered, `${GENERATED_DIR}/SwitchboardProtocol.kt`)).toContain('data class DemoNote (');
    expect(content(altered, `${GENERATED_DIR}/switchboard_protocol.py`)).toContain('"demo.note.add": MethodInfo(params=demo_note_add_params_from_dict, result=demo_note_from_dict, final=None, access="operator.write", side_effect=True');
    expect(content(altered, PROTOCOL_DOC)).toContain('| `demo.note.add` | `operator.write` | yes | result | Adds a note (only exists in this test). |');
    expect(content(altered, PROTOCOL_DOC)).toContain('| `demo.note` | `operator.read` | yes | no | A note was added \\| test only. |');
  });

  it('is byte-for-byte reproducible', async () => {
    const again = await generateArtifacts(protocolInput(), readProtocolDoc(ROOT));
    expect(again).toEqual(fresh);
    const stamp = 'generated by `pnpm codegen` from protocol/src — do not edit';
    for (const a of fresh.filter((f) => f.path.startsWith(GENERATED_DIR))) {
      expect(a.content.split('\n').slice(0, 2).join('\n'), a.path).toContain(stamp); // line 2 in JSON: "$comment"
    }
    expect(content(fresh, PROTOCOL_DOC)).toContain(`<!-- generated:methods:begin -->\n<!-- ${stamp} -->`);
  }, 30_000);

  it('runs as a command: exit 0 when fresh, 1 naming each stale file, and rewrites them', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, [GENERATE, ...args], { encoding: 'utf8', timeout: 60_000 });
    const clean = run('--check');
    expect(clean.stderr).toBe('');
    expect(clean.stdout).toMatch(/6 generated files are up to date/);
    expect(clean.status).toBe(0);

    cpSync(join(ROOT, GENERATED_DIR), join(copy, GENERATED_DIR), { recursive: true });
    mkdirSync(join(copy, 'docs'));
    const doc = readFileSync(join(ROOT, PROTOCOL_DOC), 'utf8');
    writeFileSync(join(copy, PROTOCOL_DOC), doc.replace('| `health` | `operator.read` |', '| `health` | `operator.admin` |'));
    writeFileSync(join(copy, GENERATED_DIR, 'switchboard_protocol.py'), '# hand-edited\n', { flag: 'a' });
    writeFileSync(join(copy, GENERATED_DIR, 'Old.swift'), '// a file codegen no longer writes\n');
    const stale = run('--check', '--root', copy);
    expect(stale.status).toBe(1);
    expect(stale.stderr).toContain(`${GENERATED_DIR}/switchboard_protocol.py (out of date)`);
    expect(stale.stderr).toContain(`${PROTOCOL_DOC} (out of date)`);
    expect(stale.stderr).toContain(`${GENERATED_DIR}/Old.swift (not generated any more; delete it)`);
    expect(stale.stderr).not.toContain('protocol.schema.json');

    rmSync(join(copy, GENERATED_DIR, 'Old.swift'));
    const write = run('--root', copy);
    expect(write.stdout).toBe(`codegen: wrote ${GENERATED_DIR}/switchboard_protocol.py, ${PROTOCOL_DOC}\n`);
    expect(run('--check', '--root', copy).status).toBe(0);
    expect(readFileSync(join(copy, PROTOCOL_DOC), 'utf8')).toBe(doc);
  }, 60_000);
});
