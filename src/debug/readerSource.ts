/**
 * The Python that Conv Lens runs in a paused program to read its tensors, and the one expression that carries it
 * through debugpy's `evaluate`. Pure: no vscode.
 *
 * Nothing in the person's program changes. The expression is a call of a lambda on a fresh dict; the source is
 * exec'd in that dict, so every name it binds (its functions, its imports) lives there, and the dict is emptied
 * before the lambda returns. The person's expressions are evaluated with the frame's own globals and locals,
 * exactly as debugpy evaluates them, and only read: tensors are detached, copied to the CPU and made contiguous
 * as new tensors (`detach`, `cpu`, `contiguous` never write to their source). Modules are looked up in
 * sys.modules, never imported: torch and numpy are used only when the program has loaded them, and the standard
 * modules the code imports (json, socket, binascii, ctypes) are the ones debugpy and torch have loaded already.
 */

/** What the reader is asked to do. */
export type ReaderParams =
  | { readonly mode: 'describe' }
  | {
      readonly mode: 'read';
      /** the most elements to read; above it only the description comes back (`over_cap`) */
      readonly cap: number;
      /** `inline`: base64 after the header in the evaluate result; `socket`: the bytes over a loopback socket */
      readonly channel: 'inline' | SocketChannel;
    };

export interface SocketChannel {
  readonly port: number;
  /** 32 hex digits the listener sends first: the reader sends nothing to a listener that is not ours */
  readonly hello: string;
  /** 32 hex digits the reader sends before the data: the listener takes no bytes from anyone else */
  readonly token: string;
  /** seconds for the connection and each send */
  readonly timeout: number;
}

/**
 * In: `expressions`, `params`, `frame_globals`, `frame_locals`. Out: `result`, a str — for `describe` a JSON list
 * with one description per expression; for `read` one JSON header line, then (inline channel) the base64 bytes.
 */
export const READER_SOURCE = String.raw`
import sys, json

TORCH_DTYPES = ('float16', 'bfloat16', 'float32', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32',
                'uint32', 'int64', 'uint64', 'bool')
NUMPY_DTYPES = TORCH_DTYPES[:1] + TORCH_DTYPES[2:]


def type_name(v):
    t = type(v)
    return t.__qualname__ if t.__module__ == 'builtins' else t.__module__ + '.' + t.__qualname__


class Refused(Exception):
    pass


def prod(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def unsupported(dtype, kind):
    if 'complex' in dtype:
        return Refused('a %s %s: Conv Lens reads real numbers; read x.real, x.imag or x.abs()' % (dtype, kind))
    return Refused('a %s %s: Conv Lens reads float16, bfloat16, float32, float64, the integer types and bool'
                   % (dtype, kind))


def inspect_torch(v, torch):
    dtype = str(v.dtype).replace('torch.', '')
    if v.layout != torch.strided:
        raise Refused('a %s tensor: read x.to_dense()' % str(v.layout).replace('torch.', ''))
    if v.is_quantized:
        raise Refused('a quantized tensor (%s): read x.dequantize()' % dtype)
    if dtype not in TORCH_DTYPES:
        raise unsupported(dtype, 'tensor')
    if v.device.type == 'meta':
        raise Refused('a tensor on the meta device has a shape but no values')
    info = dict(kind='torch', type=type_name(v), dtype=dtype, shape=list(v.shape), device=str(v.device),
                requires_grad=bool(v.requires_grad), contiguous=bool(v.is_contiguous()), numel=v.numel())

    def payload():
        import ctypes
        notes = []
        t = v.detach()
        if t.device.type != 'cpu':
            t = t.cpu()
            notes.append('copied from %s' % info['device'])
        if info['requires_grad']:
            notes.append('detached (requires_grad=True)')
        for resolve in ('resolve_conj', 'resolve_neg'):
            if hasattr(t, resolve):
                t = getattr(t, resolve)()
        if not t.is_contiguous():
            t = t.contiguous()
            notes.append('non-contiguous: copied in row-major order')
        n = t.numel() * t.element_size()
        return (ctypes.string_at(t.data_ptr(), n) if n else b''), sys.byteorder == 'little', notes

    return info, payload


def inspect_numpy(v, np):
    a = np.asarray(v)
    notes = []
    if isinstance(v, np.ma.MaskedArray):
        notes.append('a masked array: the mask is not read')
    if a.dtype.kind == 'b':
        dtype = 'bool'
    elif a.dtype.kind in 'iuf' and a.dtype.name in NUMPY_DTYPES:
        dtype = a.dtype.name
    else:
        raise unsupported(a.dtype.name, 'array')
    info = dict(kind='numpy', type=type_name(v), dtype=dtype, shape=list(a.shape), device='cpu',
                requires_grad=False, contiguous=bool(a.flags['C_CONTIGUOUS']), numel=int(a.size))

    def payload():
        b = np.ascontiguousarray(a)
        order = b.dtype.byteorder
        little = order == '<' or (order in '=|' and sys.byteorder == 'little')
        if not info['contiguous']:
            notes.append('non-contiguous: copied in row-major order')
        return b.tobytes(), little, notes

    return info, payload


ARRAY_TYPECODES = {'b': 'int', 'h': 'int', 'i': 'int', 'l': 'int', 'q': 'int',
                   'B': 'uint', 'H': 'uint', 'I': 'uint', 'L': 'uint', 'Q': 'uint', 'f': 'float', 'd': 'float'}


def inspect_array_module(v):
    kind = ARRAY_TYPECODES.get(v.typecode)
    if kind is None:
        raise Refused("an array('%s'): Conv Lens reads arrays of numbers" % v.typecode)
    dtype = '%s%d' % (kind, 8 * v.itemsize)
    info = dict(kind='array', type='array.array', dtype=dtype, shape=[len(v)], device='cpu', requires_grad=False,
                contiguous=True, numel=len(v))
    return info, lambda: (v.tobytes(), sys.byteorder == 'little', [])


def leaf_kind(x, np):
    if isinstance(x, bool) or (np is not None and isinstance(x, np.bool_)):
        return 'bool'
    if isinstance(x, int) or (np is not None and isinstance(x, np.integer)):
        return 'int64'
    if isinstance(x, float) or (np is not None and isinstance(x, np.floating)):
        return 'float64'
    return None


def inspect_sequence(v, np):
    shape = []
    p = v
    while isinstance(p, (list, tuple)):
        shape.append(len(p))
        if not p:
            break
        p = p[0]
    first = leaf_kind(p, np) if shape and shape[-1] else 'float64'
    if first is None:
        raise Refused('a %s of %s, not of numbers' % (type_name(v), type_name(p)))
    info = dict(kind='list', type=type_name(v), dtype=first, shape=shape, device='cpu', requires_grad=False,
                contiguous=True, numel=prod(shape))

    def payload():
        import array
        flat = []
        kinds = set()

        def walk(x, depth, path):
            if depth == len(shape):
                k = leaf_kind(x, np)
                if k is None:
                    raise Refused('%s is %s, not a number' % (path, type_name(x)))
                kinds.add(k)
                flat.append(x)
                return
            if not isinstance(x, (list, tuple)) or len(x) != shape[depth]:
                what = 'length %d' % len(x) if isinstance(x, (list, tuple)) else type_name(x)
                raise Refused('%s has %s but the first elements give the shape %s: the list is ragged'
                              % (path, what, tuple(shape)))
            for i, y in enumerate(x):
                walk(y, depth + 1, '%s[%d]' % (path, i))

        walk(v, 0, 'x')
        notes = []
        if kinds <= {'bool'} and kinds:
            info['dtype'] = 'bool'
            data = bytes(bytearray(1 if x else 0 for x in flat))
        elif kinds <= {'bool', 'int64'} and all(-2 ** 63 <= int(x) < 2 ** 63 for x in flat):
            info['dtype'] = 'int64'
            data = array.array('q', [int(x) for x in flat]).tobytes()
        else:
            info['dtype'] = 'float64'
            data = array.array('d', [float(x) for x in flat]).tobytes()
            if 'int64' in kinds:
                notes.append('integers and floats mixed: read as float64')
        return data, sys.byteorder == 'little', notes

    return info, payload


def inspect_python_scalar(v):
    dtype = 'bool' if isinstance(v, bool) else 'int64' if isinstance(v, int) else 'float64'
    if dtype == 'int64' and not -2 ** 63 <= v < 2 ** 63:
        dtype = 'float64'
    info = dict(kind='scalar', type=type_name(v), dtype=dtype, shape=[], device='cpu', requires_grad=False,
                contiguous=True, numel=1)

    def payload():
        import array
        if dtype == 'bool':
            return bytes([1 if v else 0]), True, []
        return array.array('q' if dtype == 'int64' else 'd', [v]).tobytes(), sys.byteorder == 'little', []

    return info, payload


def inspect(v):
    torch = sys.modules.get('torch')
    np = sys.modules.get('numpy')
    if torch is not None and isinstance(v, torch.Tensor):
        return inspect_torch(v, torch)
    if np is not None and isinstance(v, (np.ndarray, np.generic)):
        return inspect_numpy(v, np)
    if isinstance(v, (list, tuple)):
        return inspect_sequence(v, np)
    if isinstance(v, (bool, int, float)):
        return inspect_python_scalar(v)
    array_module = sys.modules.get('array')
    if array_module is not None and isinstance(v, array_module.array):
        return inspect_array_module(v)
    if np is not None and hasattr(v, '__array__') and not isinstance(v, (str, bytes, dict, type)):
        return inspect_numpy(v, np)
    if v is None:
        raise Refused('None, not a tensor')
    raise Refused('a %s, not a tensor' % type_name(v))


def evaluate(expression):
    try:
        return eval(expression, frame_globals, frame_locals), None
    except Exception as e:
        return None, dict(ok=False, raised=True, error='%s: %s' % (type(e).__name__, e))


def describe_all():
    out = []
    for expression in expressions:
        v, error = evaluate(expression)
        if error is None:
            try:
                info, _ = inspect(v)
                error = dict(ok=True, **info)
            except Refused as e:
                error = dict(ok=False, error=str(e), type=type_name(v))
        out.append(error)
    return json.dumps(out)


class NoListener(Exception):
    pass


def send_over_socket(data, channel):
    import socket
    try:
        s = socket.create_connection(('127.0.0.1', channel['port']), timeout=channel['timeout'])
    except OSError as e:
        raise NoListener('%s: %s' % (type(e).__name__, e))
    try:
        hello = channel['hello'].encode('ascii')
        got = b''
        try:
            while len(got) < len(hello):
                chunk = s.recv(len(hello) - len(got))
                if not chunk:
                    break
                got += chunk
        except OSError as e:
            raise NoListener('%s: %s' % (type(e).__name__, e))
        if got != hello:
            raise NoListener('the listener on 127.0.0.1:%d is not Conv Lens' % channel['port'])
        s.sendall(channel['token'].encode('ascii') + len(data).to_bytes(8, 'little'))
        s.sendall(data)
    finally:
        s.close()


def read_one():
    v, error = evaluate(expressions[0])
    if error is not None:
        return json.dumps(error)
    try:
        info, payload = inspect(v)
    except Refused as e:
        return json.dumps(dict(ok=False, error=str(e), type=type_name(v)))
    header = dict(ok=True, **info)
    if info['numel'] > params['cap']:
        header['over_cap'] = True
        return json.dumps(header)
    try:
        data, little, notes = payload()
    except Refused as e:
        return json.dumps(dict(ok=False, error=str(e), type=info['type']))
    header.update(nbytes=len(data), little_endian=little, notes=notes, channel='inline')
    channel = params['channel']
    if channel != 'inline':
        try:
            send_over_socket(data, channel)
            header['channel'] = 'socket'
        except NoListener as e:
            header['socket_error'] = str(e)
        except OSError as e:
            return json.dumps(dict(ok=False, cut=True, error='the transfer was cut off (%s: %s)' % (type(e).__name__, e)))
    if header['channel'] == 'socket':
        return json.dumps(header)
    import binascii
    return json.dumps(header) + '\n' + binascii.b2a_base64(data, newline=False).decode('ascii')


def main():
    try:
        return describe_all() if params['mode'] == 'describe' else read_one()
    except Exception as e:
        import traceback
        return json.dumps(dict(ok=False, internal=True, error='%s: %s' % (type(e).__name__, e),
                               traceback=traceback.format_exc()))


def finish(namespace, value):
    # break the cycles (functions -> this dict -> frame locals and copies of tensors) now, not at the next gc
    namespace.clear()
    namespace['result'] = value


finish(globals(), main())
`;

/**
 * The expression for debugpy's `evaluate`: Python source only (the person's expressions travel as string literals,
 * so nothing they type is spliced into code). JSON strings are valid Python string literals.
 */
export function readerExpression(expressions: readonly string[], params: ReaderParams): string {
  const inputs = `{'expressions': ${JSON.stringify(expressions)}, 'params': ${pythonLiteral(params)}, 'frame_globals': globals(), 'frame_locals': locals()}`;
  return `(lambda g: (exec(${JSON.stringify(READER_SOURCE)}, g), g.pop('result'))[1])(${inputs})`;
}

/** JSON as a Python literal: the same text except true/false/null. */
function pythonLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`${value} has no Python literal here`);
    return String(value);
  }
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pythonLiteral).join(', ')}]`;
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${JSON.stringify(k)}: ${pythonLiteral(v)}`)
    .join(', ')}}`;
}
