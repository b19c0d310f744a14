/**
 * `SwitchboardProtocol.kt`: quicktype's kotlinx-serialization data classes plus, written here, a
 * sealed `GatewayFrame` with a serializer that picks the frame class by `type` (quicktype would
 * collapse the union into one class with every field optional) and the method and event names.
 */
import { pascalCase } from './names.js';
import { assertTypesKept, runQuicktype } from './quicktype.js';
import { FRAME_DEFINITIONS, type ProtocolSchema } from './schema.js';

const DESCRIPTION = 'Kotlin models of the Switchboard gateway protocol (quicktype, kotlinx.serialization).';

function nameEnum(typeName: string, doc: string, names: string[]): string {
  return [
    `/** ${doc} */`,
    '@Serializable',
    `enum class ${typeName}(val value: String) {`,
    names.map((n) => `    @SerialName(${JSON.stringify(n)}) ${pascalCase(n)}(${JSON.stringify(n)})`).join(',\n') + ';',
    '}',
  ].join('\n');
}

function frameClasses(): string {
  const cases = Object.entries(FRAME_DEFINITIONS).map(([type, cls]) => ({ type, cls, variant: pascalCase(type) }));
  return `/** Any frame on the wire, decoded by its \`type\` field. */
@Serializable(with = GatewayFrameSerializer::class)
sealed class GatewayFrame {
${cases.map((c) => `    data class ${c.variant}(val frame: ${c.cls}) : GatewayFrame()`).join('\n')}
}

/** Reads and writes [GatewayFrame] as the plain frame object; only works with the JSON format. */
object GatewayFrameSerializer : KSerializer<GatewayFrame> {
    override val descriptor: SerialDescriptor = buildClassSerialDescriptor("GatewayFrame")

    override fun deserialize(decoder: Decoder): GatewayFrame {
        val input = decoder as? JsonDecoder ?: throw SerializationException("GatewayFrame can only be read from JSON")
        val element = input.decodeJsonElement()
        return when (val type = element.jsonObject["type"]?.jsonPrimitive?.content) {
${cases.map((c) => `            ${JSON.stringify(c.type)} -> GatewayFrame.${c.variant}(input.json.decodeFromJsonElement(${c.cls}.serializer(), element))`).join('\n')}
            else -> throw SerializationException("unknown frame type: $type")
        }
    }

    override fun serialize(encoder: Encoder, value: GatewayFrame) {
        when (value) {
${cases.map((c) => `            is GatewayFrame.${c.variant} -> encoder.encodeSerializableValue(${c.cls}.serializer(), value.frame)`).join('\n')}
        }
    }
}`;
}

/** Renders `SwitchboardProtocol.kt`. */
export async function renderKotlin(doc: ProtocolSchema): Promise<string> {
  let models = await runQuicktype('kotlin', doc, DESCRIPTION);
  // quicktype writes array aliases as `JsonArray<T>`, but kotlinx's JsonArray is not generic.
  models = models.replace(/^(typealias \w+ = )JsonArray</gm, '$1List<');
  assertTypesKept(doc, [...models.matchAll(/^(?:data class|class|enum class|typealias) (\w+)/gm)].map((m) => m[1]), 'kotlin');
  const extra = [
    '// ── Frames, methods and events (written by the generator from the protocol tables) ──',
    '',
    '/** The protocol version this gateway speaks. */',
    `const val SWITCHBOARD_PROTOCOL_VERSION = ${doc.protocolVersion}`,
    '',
    frameClasses(),
    '',
    nameEnum('GatewayMethod', 'Every method name in the method table.', Object.keys(doc.methods)),
    '',
    nameEnum('GatewayEvent', 'Every event name in the event table.', Object.keys(doc.events)),
  ];
  return `${models.trimEnd()}\n\n${extra.join('\n')}\n`;
}
