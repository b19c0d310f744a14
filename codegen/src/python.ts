/**
 * `switchboard_protocol.py`: quicktype's dataclasses (Python 3.7+ syntax, standard library only)
 * plus a section written here from the tables: `parse_frame()` picks the frame class by `type`,
 * `METHODS` / `EVENTS` map every name to the parser of its params, result, final and payload, and
 * `parse_result()` / `parse_event_payload()` turn a frame's `payload` into typed objects.
 */
import { looseKey } from './names.js';
import { assertTypesKept, resolveAlias, runQuicktype } from './quicktype.js';
import { FRAME_DEFINITIONS, refName, type JsonSchema, type ProtocolSchema } from './schema.js';

const DESCRIPTION = 'Python models of the Switchboard gateway protocol (quicktype dataclasses; standard library only).';

/** quicktype's top-level `<name>_from_dict` functions, by loose definition name. */
function parserFunctions(source: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of source.matchAll(/^def (\w+)_from_dict\(s: Any\) -> /gm)) found.set(looseKey(m[1]), `${m[1]}_from_dict`);
  return found;
}

/** The expression that parses a value of the definition `ref` points at. */
function parserFor(doc: ProtocolSchema, parsers: Map<string, string>, node: JsonSchema | undefined): string {
  if (node === undefined) return 'None';
  const name = resolveAlias(doc, refName(node)!);
  const fn = parsers.get(looseKey(name));
  if (!fn) throw new Error(`quicktype wrote no ${name} parser for Python`);
  return fn;
}

const py = (value: string | undefined): string => (value === undefined ? 'None' : JSON.stringify(value));
const bool = (value: boolean): string => (value ? 'True' : 'False');

function tables(doc: ProtocolSchema, parsers: Map<string, string>): string {
  const methods = Object.entries(doc.methods).map(([name, m]) =>
    `    ${py(name)}: MethodInfo(params=${parserFor(doc, parsers, m.params)}, result=${parserFor(doc, parsers, m.result)}, ` +
    `final=${parserFor(doc, parsers, m.final)}, access=${py(m.access)}, side_effect=${bool(m.sideEffect)}, summary=${py(m.summary)}),`);
  const events = Object.entries(doc.events).map(([name, e]) =>
    `    ${py(name)}: EventInfo(payload=${parserFor(doc, parsers, e.payload)}, access=${py(e.access)}, ` +
    `droppable=${bool(e.droppable)}, targeted=${bool(e.targeted)}, summary=${py(e.summary)}),`);
  const frames = Object.entries(FRAME_DEFINITIONS).map(([type, name]) => `    ${py(type)}: ${name}.from_dict,`);
  return `

# ── Frames, methods and events (written by the generator from the protocol tables) ──────────────

PROTOCOL_VERSION = ${doc.protocolVersion}

Frame = Union[${Object.values(FRAME_DEFINITIONS).join(', ')}]

_FRAME_PARSERS: Dict[str, Callable[[Any], Any]] = {
${frames.join('\n')}
}


def parse_frame(data: Union[str, bytes, Dict[str, Any]]) -> Frame:
    """Parses one frame (JSON text or a decoded dict) into RequestFrame, ResponseFrame or EventFrame.

    Raises ValueError for JSON that is not a frame object or has an unknown \`type\`, and
    AssertionError when a field does not have the type the protocol gives it.
    """
    obj = json.loads(data) if isinstance(data, (str, bytes, bytearray)) else data
    if not isinstance(obj, dict):
        raise ValueError("a frame is a JSON object with a type field")
    parser = _FRAME_PARSERS.get(obj.get("type"))
    if parser is None:
        raise ValueError(f"unknown frame type: {obj.get('type')!r}")
    return parser(obj)


@dataclass(frozen=True)
class MethodInfo:
    """One method table entry: parsers of its params, result and (two-answer methods) final answer."""
    params: Callable[[Any], Any]
    result: Callable[[Any], Any]
    final: Optional[Callable[[Any], Any]]
    access: str
    side_effect: bool
    summary: str


@dataclass(frozen=True)
class EventInfo:
    """One event table entry: the parser of its payload and how the gateway delivers it."""
    payload: Callable[[Any], Any]
    access: Optional[str]
    droppable: bool
    targeted: bool
    summary: str


METHODS: Dict[str, MethodInfo] = {
${methods.join('\n')}
}

EVENTS: Dict[str, EventInfo] = {
${events.join('\n')}
}


def parse_result(method: str, payload: Any, final: bool = False) -> Any:
    """The typed payload of an ok \`res\` to \`method\` (its second answer with final=True).

    Raises KeyError for a method the protocol does not have.
    """
    info = METHODS.get(method)
    if info is None:
        raise KeyError(f"unknown method: {method}")
    parser = info.final if final else info.result
    if parser is None:
        raise ValueError(f"{method} answers once; there is no final result")
    return parser(payload)


def parse_event_payload(frame: EventFrame) -> Any:
    """The typed payload of an event frame. Raises KeyError for an event the protocol does not have."""
    info = EVENTS.get(frame.event)
    if info is None:
        raise KeyError(f"unknown event: {frame.event}")
    return info.payload(frame.payload)
`;
}

/** Renders `switchboard_protocol.py`. */
export async function renderPython(doc: ProtocolSchema): Promise<string> {
  const models = await runQuicktype('python', doc, DESCRIPTION);
  assertTypesKept(doc, [...models.matchAll(/^class (\w+)/gm)].map((m) => m[1]).concat([...parserFunctions(models).keys()]), 'python');
  // The tables below need json and Union; quicktype imports only what its own code uses.
  const withImports = models.replace(/^(from|import) /m, 'import json\nfrom typing import Union\n$&');
  if (withImports === models) throw new Error('quicktype\'s Python output has no import line; update codegen/src/python.ts');
  return `${withImports.trimEnd()}\n${tables(doc, parserFunctions(models))}`;
}
