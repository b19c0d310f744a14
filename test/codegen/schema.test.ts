// How the protocol tables become protocol.schema.json: one definition per frame, shape, method and
// event; shared shapes referenced, never copied; names that code generators keep.
import { describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { buildProtocolSchema, looseKey, pascalCase, protocolInput, type ProtocolInput } from '@switchboard/codegen';
import { closedObject, events, method, methods } from '@switchboard/protocol';

const doc = buildProtocolSchema(protocolInput());

/** Every `$ref` in a node. */
function refs(node: unknown, into: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => refs(n, into));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref') into.push(v as string);
      else refs(v, into);
    }
  }
  return into;
}

/** The real input with one extra method whose params/result are `params`/`result`. */
function withMethod(params: ReturnType<typeof closedObject>, result: Parameters<typeof method>[0]['result'], shapes = {}): ProtocolInput {
  const base = protocolInput();
  return {
    ...base,
    methods: { ...base.methods, 'x.probe': method({ params, result, access: 'operator.read', sideEffect: false, summary: 'Test-only method.' }) },
    shapes: { ...base.shapes, ...shapes },
  };
}

describe('protocol.schema.json', () => {
  it('is draft-07 with a root oneOf over the three frames and a discriminator on type', () => {
    expect(doc.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(doc.oneOf).toEqual([{ $ref: '#/definitions/RequestFrame' }, { $ref: '#/definitions/ResponseFrame' }, { $ref: '#/definitions/EventFrame' }]);
    expect(doc.discriminator).toEqual({
      propertyName: 'type',
      mapping: { req: '#/definitions/RequestFrame', res: '#/definitions/ResponseFrame', event: '#/definitions/EventFrame' },
    });
    expect(doc.definitions.GatewayFrame).toEqual({ oneOf: doc.oneOf, discriminator: doc.discriminator });
    for (const name of ['ErrorShape', 'StateVersion', 'ConnectParams', 'HelloOk', 'Snapshot', 'Policy', 'PresenceEntry', 'HealthSummary', 'TickEvent', 'ShutdownEvent', 'ConnectChallenge']) {
      expect(doc.definitions, name).toHaveProperty(name);
    }
  });

  it('has Params and Result definitions for every method and an Event definition for every event', () => {
    expect(Object.keys(doc.methods)).toEqual(Object.keys(methods));
    for (const [name, spec] of Object.entries(methods)) {
      const stem = pascalCase(name);
      expect(doc.methods[name], name).toMatchObject({
        params: { $ref: `#/definitions/${stem}Params` }, result: { $ref: `#/definitions/${stem}Result` },
        access: spec.access, sideEffect: spec.sideEffect, summary: spec.summary,
      });
      expect(doc.definitions).toHaveProperty(`${stem}Params`);
      expect(doc.definitions).toHaveProperty(`${stem}Result`);
    }
    expect(Object.keys(doc.events)).toEqual(Object.keys(events));
    for (const [name, spec] of Object.entries(events)) {
      expect(doc.events[name].payload).toEqual({ $ref: `#/definitions/${pascalCase(name)}Event` });
      expect(doc.events[name].droppable).toBe(spec.droppable);
    }
  });

  it('refers to shared shapes instead of copying them, even through Type.Optional', () => {
    expect(doc.definitions.ResponseFrame).toMatchObject({ properties: { error: { $ref: '#/definitions/ErrorShape' } } });
    expect(doc.definitions.Snapshot).toMatchObject({ properties: { health: { $ref: '#/definitions/HealthSummary' }, presence: { items: { $ref: '#/definitions/PresenceEntry' } } } });
    expect(doc.definitions.HealthResult).toEqual({ $ref: '#/definitions/HealthSummary' });
    expect(doc.definitions.HealthEvent).toEqual({ $ref: '#/definitions/HealthSummary' });
    expect(doc.definitions.SystemPresenceResult).toEqual({ type: 'array', items: { $ref: '#/definitions/PresenceEntry' } });
    // Nested anonymous objects and enums get their owner's name, so no generator invents one.
    expect(doc.definitions.HelloOk).toMatchObject({ properties: { server: { $ref: '#/definitions/HelloOkServer' } } });
    expect(doc.definitions.ClientInfo).toMatchObject({ properties: { mode: { $ref: '#/definitions/ClientInfoMode' } } });
    const text = JSON.stringify(doc);
    expect(text).not.toContain('patternProperties');
    for (const r of refs(doc)) expect(doc.definitions, r).toHaveProperty(r.replace('#/definitions/', ''));
  });

  it('rewrites TypeBox Type.Ref and Type.Record into forms every generator reads', () => {
    const Item = Type.Object({ id: Type.String() }, { $id: 'ProbeItem', additionalProperties: false });
    const out = buildProtocolSchema(withMethod(
      closedObject({ item: Type.Ref(Item), counts: Type.Record(Type.String(), Type.Integer()) }),
      closedObject({ ok: Type.Boolean() }),
      { ProbeItem: Item },
    ));
    expect(out.definitions.XProbeParams).toMatchObject({
      properties: { item: { $ref: '#/definitions/ProbeItem' }, counts: { type: 'object', additionalProperties: { type: 'integer' } } },
    });
    expect(out.definitions.ProbeItem).toEqual({ type: 'object', required: ['id'], properties: { id: { type: 'string' } }, additionalProperties: false });
  });

  it('refuses two different schemas under one name, naming it', () => {
    const impostor = closedObject({ other: Type.String() });
    expect(() => buildProtocolSchema(withMethod(closedObject({}), closedObject({ a: Type.String() }), { XProbeResult: impostor })))
      .toThrow('two different schemas want the definition name "XProbeResult"');
    const base = protocolInput();
    expect(() => buildProtocolSchema({ ...base, shapes: { ...base.shapes, ErrorShape: undefined as never } }))
      .toThrow('the protocol exports no "ErrorShape" schema');
  });

  it('spells names the way the generators need', () => {
    expect(pascalCase('talk.mode')).toBe('TalkMode');
    expect(pascalCase('system-presence')).toBe('SystemPresence');
    expect(pascalCase('node.invoke.request')).toBe('NodeInvokeRequest');
    // quicktype re-spells names (`ClientInfoId` → Swift `ClientInfoID`, Python `client_info_id_from_dict`).
    expect(looseKey('ClientInfoID')).toBe(looseKey('client_info_id'));
  });
});
