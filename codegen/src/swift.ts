/**
 * `SwitchboardProtocol.swift`: quicktype's Codable structs plus, written here, the `GatewayFrame`
 * enum that decodes any frame by its `type` (quicktype would collapse the union into one struct
 * with every field optional) and the method and event names as string enums.
 */
import { pascalCase } from './names.js';
import { assertTypesKept, runQuicktype } from './quicktype.js';
import { FRAME_DEFINITIONS, type ProtocolSchema } from './schema.js';

const DESCRIPTION = 'Swift models of the Switchboard gateway protocol (quicktype Codable structs).';

const SWIFT_KEYWORDS = new Set([
  'associatedtype', 'class', 'deinit', 'enum', 'extension', 'fileprivate', 'func', 'import', 'init', 'inout', 'internal',
  'let', 'open', 'operator', 'private', 'protocol', 'public', 'rethrows', 'static', 'struct', 'subscript', 'typealias',
  'var', 'break', 'case', 'continue', 'default', 'defer', 'do', 'else', 'fallthrough', 'for', 'guard', 'if', 'in',
  'repeat', 'return', 'switch', 'where', 'while', 'as', 'catch', 'false', 'is', 'nil', 'self', 'super', 'throw',
  'throws', 'true', 'try', 'Type', 'Self', 'Any',
]);

/** `talk.mode` → `talkMode`, escaped with backticks when it is a Swift keyword. */
function caseName(name: string): string {
  const stem = pascalCase(name);
  const id = stem[0].toLowerCase() + stem.slice(1);
  return SWIFT_KEYWORDS.has(id) ? `\`${id}\`` : id;
}

function nameEnum(typeName: string, doc: string, names: string[]): string {
  return [
    `/// ${doc}`,
    `public enum ${typeName}: String, Codable, CaseIterable {`,
    ...names.map((n) => `    case ${caseName(n)} = ${JSON.stringify(n)}`),
    '}',
  ].join('\n');
}

function frameEnum(): string {
  const cases = Object.entries(FRAME_DEFINITIONS);
  return `/// Any frame on the wire, decoded by its \`type\` field.
public enum GatewayFrame: Codable {
${cases.map(([type, struct]) => `    case ${type}(${struct})`).join('\n')}

    private enum DiscriminatorKeys: String, CodingKey {
        case type = "type"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: DiscriminatorKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
${cases.map(([type, struct]) => `        case ${JSON.stringify(type)}: self = .${type}(try ${struct}(from: decoder))`).join('\n')}
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown frame type \\(type)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
${cases.map(([type]) => `        case .${type}(let frame): try frame.encode(to: encoder)`).join('\n')}
        }
    }
}`;
}

/** Renders `SwitchboardProtocol.swift`. */
export async function renderSwift(doc: ProtocolSchema): Promise<string> {
  const models = await runQuicktype('swift', doc, DESCRIPTION);
  assertTypesKept(doc, [...models.matchAll(/^public (?:struct|enum|typealias|class) (\w+)/gm)].map((m) => m[1]), 'swift');
  const extra = [
    '// MARK: - Frames, methods and events (written by the generator from the protocol tables)',
    '',
    `/// The protocol version this gateway speaks.`,
    `public let switchboardProtocolVersion = ${doc.protocolVersion}`,
    '',
    frameEnum(),
    '',
    nameEnum('GatewayMethod', 'Every method name in the method table.', Object.keys(doc.methods)),
    '',
    nameEnum('GatewayEvent', 'Every event name in the event table.', Object.keys(doc.events)),
  ];
  return `${models.trimEnd()}\n\n${extra.join('\n')}\n`;
}
