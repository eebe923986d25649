#!/usr/bin/python3
"""Fixtures for src/tensorFiles/: tensor files written by NumPy and PyTorch themselves (Debian python3-numpy,
python3-torch 1.13), one safetensors file written by hand with struct/json (there is no safetensors package
here), and crafted bad files for the fuzz tests.

  fixtures/*.npy *.npz *.pt *.pth *.ckpt *.safetensors   good files
  fixtures/expected.json   for every good file: its format, and for every tensor its dtype, shape, every value
                           (row-major, as float64; "NaN", "Infinity", "-Infinity" as strings) and its stats;
                           the non-tensor values of checkpoints and the safetensors metadata
  bad/*                    crafted files that every reader must refuse with a clear message
  ../integration/workspace/tensors/   copies of a few of them for the extension-host tests

Nothing here unpickles a crafted file: the malicious pickles are written opcode by opcode and never loaded.

Run: /usr/bin/python3 test/tensorFiles/generate.py
"""
import collections
import io
import json
import math
import os
import struct
import zipfile
import zlib

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
GOOD = os.path.join(HERE, 'fixtures')
BAD = os.path.join(HERE, 'bad')
os.makedirs(GOOD, exist_ok=True)
os.makedirs(BAD, exist_ok=True)

torch.manual_seed(0)
rng = np.random.default_rng(0)
expected = {}


def number(x):
    x = float(x)
    if math.isnan(x):
        return 'NaN'
    if math.isinf(x):
        return 'Infinity' if x > 0 else '-Infinity'
    return x


def stats_of(values):
    """min/max/mean/std over the finite values; NaN and ±Inf counted apart; the first NaN's row-major index."""
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    finite = v[np.isfinite(v)]
    nan = np.flatnonzero(np.isnan(v))
    return {
        'count': int(v.size),
        'finite': int(finite.size),
        'min': number(finite.min()) if finite.size else None,
        'max': number(finite.max()) if finite.size else None,
        'mean': number(finite.mean()) if finite.size else None,
        'std': number(finite.std()) if finite.size else None,
        'nan': int(nan.size),
        'posInf': int(np.sum(v == np.inf)),
        'negInf': int(np.sum(v == -np.inf)),
        'firstNaN': int(nan[0]) if nan.size else None,
    }


def as_f64(t):
    """Row-major float64 values of a tensor or array, exactly (int64 rounded to nearest as float() does)."""
    if isinstance(t, torch.Tensor):
        if t.dtype == torch.int64:
            return [float(int(x)) for x in t.reshape(-1).tolist()]
        return t.detach().to(torch.float64).reshape(-1).tolist()
    a = np.asarray(t)
    if a.dtype.kind in 'iu' and a.dtype.itemsize == 8:
        return [float(int(x)) for x in a.reshape(-1).tolist()]
    return a.astype(np.float64).reshape(-1).tolist()


TORCH_DTYPE = {
    torch.float16: 'float16',
    torch.bfloat16: 'bfloat16',
    torch.float32: 'float32',
    torch.float64: 'float64',
    torch.int8: 'int8',
    torch.uint8: 'uint8',
    torch.int16: 'int16',
    torch.int32: 'int32',
    torch.int64: 'int64',
    torch.bool: 'bool',
}


def dtype_name(t):
    if isinstance(t, torch.Tensor):
        return TORCH_DTYPE[t.dtype]
    return {'b': 'bool'}.get(t.dtype.kind, t.dtype.name)


def tensor_record(t):
    values = as_f64(t)
    return {
        'dtype': dtype_name(t),
        'shape': list(t.shape),
        'values': [number(x) for x in values],
        'stats': stats_of(values),
    }


def flatten(obj, prefix, tensors, values):
    """The dotted names the readers give: dict keys and list/tuple indices joined by dots."""
    if isinstance(obj, torch.Tensor):
        tensors[prefix] = tensor_record(obj)
    elif isinstance(obj, (dict, list, tuple)) and len(obj) == 0:
        values[prefix] = repr(obj)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            flatten(v, f'{prefix}.{k}' if prefix else str(k), tensors, values)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            flatten(v, f'{prefix}.{i}' if prefix else str(i), tensors, values)
    else:
        values[prefix] = repr(obj)


def save_torch(name, obj, **kwargs):
    path = os.path.join(GOOD, name)
    torch.save(obj, path, **kwargs)
    tensors, values = {}, {}
    flatten(obj, '', tensors, values)
    expected[name] = {'format': 'torch', 'tensors': tensors, 'values': values}
    return path


# --- PyTorch: state_dicts of small CNNs, a nested training checkpoint, every dtype, views ---------------------


class SmallCNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = torch.nn.BatchNorm2d(8)
        self.conv2 = torch.nn.Conv2d(8, 16, 3, padding=1)
        self.pool = torch.nn.MaxPool2d(2)
        self.fc = torch.nn.Linear(16 * 2 * 2, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.bn1(self.conv1(x))))
        x = self.pool(torch.relu(self.conv2(x)))
        return self.fc(torch.flatten(x, 1))


class Block(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(c)
        self.conv2 = torch.nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = torch.nn.BatchNorm2d(c)


class TinyResNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.layer1 = torch.nn.Sequential(Block(4), Block(4))
        self.fc = torch.nn.Linear(4, 2)


cnn = SmallCNN()
optimizer = torch.optim.Adam(cnn.parameters(), lr=1e-3)
for _ in range(2):
    optimizer.zero_grad()
    cnn(torch.randn(2, 3, 8, 8)).square().mean().backward()
    optimizer.step()

save_torch('small_cnn.pt', cnn.state_dict())
save_torch('tiny_resnet.pth', TinyResNet().state_dict())
save_torch(
    'checkpoint.ckpt',
    {
        'model': cnn.state_dict(),
        'optimizer': optimizer.state_dict(),
        'epoch': 3,
        'best_acc': 0.91,
        'history': [1.25, 0.5],
        'tag': 'small-cnn',
        'done': False,
        'big': 2**70,
    },
)

every_dtype = {
    'float16': torch.tensor([0.0, -0.0, 1.0, -2.5, 65504.0, 6e-8, math.inf, -math.inf, math.nan], dtype=torch.float16),
    'bfloat16': torch.tensor([1.0, -3.140625, 1e30, 1e-30, math.inf, math.nan], dtype=torch.bfloat16),
    'float32': torch.randn(3, 4),
    'float64': torch.randn(2, 3, dtype=torch.float64),
    'int8': torch.tensor([-128, -1, 0, 127], dtype=torch.int8),
    'uint8': torch.tensor([0, 1, 200, 255], dtype=torch.uint8),
    'int16': torch.tensor([-32768, 0, 32767], dtype=torch.int16),
    'int32': torch.tensor([[-(2**31), 0], [1, 2**31 - 1]], dtype=torch.int32),
    'int64': torch.tensor([0, -1, 2**53 + 1, -(2**63), 2**63 - 1, 12345678901234567], dtype=torch.int64),
    'bool': torch.tensor([[True, False, True]]),
}
save_torch('dtypes.pt', every_dtype)

base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
channels_last = torch.randn(4, 3, 3, 3).to(memory_format=torch.channels_last)
views = {
    'base': base,
    'transposed': base.t(),
    'strided': base[1:, ::2],
    'row': base[2],
    'expanded': torch.tensor([1.0, 2.0, 3.0]).expand(2, 3),
    'channels_last': channels_last,
    'scalar': torch.tensor(7.5),
    'empty': torch.zeros(0, 3),
    'parameter': torch.nn.Parameter(torch.tensor([0.25, -0.75])),
    'pair': (base[0], torch.tensor([9], dtype=torch.int64)),
    'nested': [torch.tensor([1, 2], dtype=torch.int16), {'deep': base[:, 5]}],
}
assert not views['transposed'].is_contiguous() and not views['channels_last'].is_contiguous()
save_torch('views.pt', views)
save_torch('tensor.pt', torch.linspace(-1, 1, 5))

# --- NumPy: .npy in every byte order, memory order and header version, .npz stored and deflated ------------------


def save_npy(name, array, version=None):
    path = os.path.join(GOOD, name)
    with open(path, 'wb') as f:
        np.lib.format.write_array(f, array, version=version, allow_pickle=False)
    expected[name] = {'format': 'npy', 'tensors': {'': tensor_record(array)}}


grid = rng.standard_normal((2, 3, 4))
save_npy('float32.npy', rng.standard_normal((3, 5)).astype(np.float32))
save_npy('fortran.npy', np.asfortranarray(grid))
assert np.load(os.path.join(GOOD, 'fortran.npy')).flags.f_contiguous
save_npy('big_endian_f8.npy', grid.astype('>f8'))
save_npy('big_endian_i4.npy', np.array([[1, -2, 3], [2**31 - 1, -(2**31), 0]], dtype='>i4'))
save_npy('big_endian_f2.npy', np.array([1.5, -0.0, 65504, np.inf], dtype='>f2'))
save_npy('big_endian_fortran_u2.npy', np.asfortranarray(np.arange(12, dtype='>u2').reshape(3, 4) * 5000))
save_npy('float16.npy', np.array([0.1, 1e-7, -65504, np.nan, np.inf], dtype=np.float16))
save_npy('uint64.npy', np.array([0, 2**53 + 1, 2**64 - 1], dtype=np.uint64))
save_npy('bool.npy', np.array([[True, False], [False, True]]))
save_npy('scalar.npy', np.array(3.25))
save_npy('empty.npy', np.zeros((0, 4), dtype=np.float32))
save_npy('v2.npy', np.arange(6, dtype=np.int16).reshape(2, 3), version=(2, 0))
save_npy('v3.npy', np.arange(4, dtype=np.uint32), version=(3, 0))
nan_inf = np.arange(20, dtype=np.float32).reshape(4, 5)
nan_inf[1, 2] = np.nan
nan_inf[3, 0] = np.nan
nan_inf[0, 4] = np.inf
nan_inf[2, 1] = -np.inf
save_npy('nan_inf.npy', nan_inf)

numpy_dtypes = {
    name: (rng.integers(-100, 100, 6) if name[0] != 'u' else rng.integers(0, 200, 6)).astype(name)
    for name in ['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64']
}
numpy_dtypes.update(
    {
        'float16': rng.standard_normal(5).astype(np.float16),
        'float32': rng.standard_normal((2, 2)).astype(np.float32),
        'float64': rng.standard_normal(3),
        'bool': np.array([True, False, True]),
        'fortran': np.asfortranarray(rng.standard_normal((3, 2))),
    }
)
np.savez(os.path.join(GOOD, 'dtypes.npz'), **numpy_dtypes)
expected['dtypes.npz'] = {'format': 'npz', 'tensors': {k: tensor_record(v) for k, v in numpy_dtypes.items()}}

compressed = {k: v.detach().numpy() for k, v in cnn.state_dict().items() if v.dtype == torch.float32}
compressed['activations'] = rng.standard_normal((10, 200)).astype(np.float32)
compressed['zeros'] = np.zeros(5000)
np.savez_compressed(os.path.join(GOOD, 'compressed.npz'), **compressed)
with zipfile.ZipFile(os.path.join(GOOD, 'compressed.npz')) as z:
    assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in z.infolist())
expected['compressed.npz'] = {'format': 'npz', 'tensors': {k: tensor_record(v) for k, v in compressed.items()}}

# --- safetensors, by hand: 8-byte little-endian header length, the JSON header, then the data -------------------

SAFETENSORS_DTYPE = {
    'float16': 'F16', 'bfloat16': 'BF16', 'float32': 'F32', 'float64': 'F64', 'int8': 'I8', 'uint8': 'U8',
    'int16': 'I16', 'uint16': 'U16', 'int32': 'I32', 'uint32': 'U32', 'int64': 'I64', 'uint64': 'U64',
    'bool': 'BOOL',
}  # fmt: skip


def raw_bytes(t):
    """Little-endian row-major bytes of a tensor or array (bfloat16 through its int16 bit pattern)."""
    if isinstance(t, torch.Tensor):
        t = t.contiguous()
        if t.dtype == torch.bfloat16:
            return t.view(torch.int16).numpy().astype('<i2').tobytes()
        t = t.numpy()
    return np.ascontiguousarray(t).astype(t.dtype.newbyteorder('<')).tobytes()


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = raw_bytes(t)
        header[name] = {'dtype': SAFETENSORS_DTYPE[dtype_name(t)], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata is not None:
        header['__metadata__'] = metadata
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * (-len(text) % 8)  # the library pads the header with spaces to a multiple of 8
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


safe = {
    'conv1.weight': cnn.conv1.weight.detach(),
    'conv1.bias': cnn.conv1.bias.detach(),
    'half': torch.tensor([[0.5, -1.0], [65504.0, math.inf]], dtype=torch.float16),
    'brain': torch.tensor([2.0, -0.0078125, math.nan], dtype=torch.bfloat16),
    'f64': torch.randn(2, 2, dtype=torch.float64),
    'i8': torch.tensor([-5, 5], dtype=torch.int8),
    'u8': torch.tensor([7, 250], dtype=torch.uint8),
    'i16': torch.tensor([-300, 300], dtype=torch.int16),
    'u16': np.array([1, 65535], dtype=np.uint16),
    'i32': torch.tensor([-70000, 70000], dtype=torch.int32),
    'u32': np.array([3, 2**32 - 1], dtype=np.uint32),
    'i64': torch.tensor([-(2**40), 2**53 + 3], dtype=torch.int64),
    'u64': np.array([2**63 + 5, 1], dtype=np.uint64),
    'flags': torch.tensor([False, True, True]),
    'scalar': torch.tensor(1.5),
    'empty': torch.zeros(0, 2),
}
write_safetensors(os.path.join(GOOD, 'hand.safetensors'), safe, {'format': 'pt', 'source': 'test/tensorFiles/generate.py'})
expected['hand.safetensors'] = {
    'format': 'safetensors',
    'tensors': {k: tensor_record(v) for k, v in safe.items()},
    'metadata': {'format': 'pt', 'source': 'test/tensorFiles/generate.py'},
}

with open(os.path.join(GOOD, 'expected.json'), 'w') as f:
    json.dump(expected, f, indent=None, separators=(',', ':'), allow_nan=False)
    f.write('\n')

# --- bad files: each must be refused with a clear message, never executed, never allocated -------------------


def write_bad(name, data):
    with open(os.path.join(BAD, name), 'wb') as f:
        f.write(data)


def torch_zip(pickle_bytes, records=(), prefix='archive'):
    """A zip laid out as torch.save lays it out, around a pickle written opcode by opcode."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_STORED) as z:
        for name, data in [('data.pkl', pickle_bytes), *((f'data/{k}', d) for k, d in records), ('version', b'3\n')]:
            z.writestr(zipfile.ZipInfo(f'{prefix}/{name}', date_time=(2024, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


def unicode(s):
    b = s.encode('utf-8')
    return b'X' + struct.pack('<I', len(b)) + b


PROTO2 = b'\x80\x02'
# os.system('echo pwned') as pickle writes it on Linux: GLOBAL posix.system, the argument tuple, REDUCE
os_system = PROTO2 + b'cposix\nsystem\n' + unicode('echo pwned') + b'\x85' + b'R' + b'.'
write_bad('os_system.pt', torch_zip(os_system))
# the same call hidden in a state_dict, after a real tensor entry, named through protocol 4's STACK_GLOBAL
rebuild = b'ctorch._utils\n_rebuild_tensor_v2\n'
storage = b'(' + unicode('storage') + b'ctorch\nFloatStorage\n' + unicode('0') + unicode('cpu') + b'K\x04t' + b'Q'
tensor4 = rebuild + b'(' + storage + b'K\x00' + b'K\x04\x85' + b'K\x01\x85' + b'\x89' + b'}' + b'tR'
hidden = (
    b'\x80\x04}(' + unicode('conv.weight') + tensor4
    + unicode('hook') + b'\x8c\x08builtins\x8c\x04eval\x93' + unicode('print(1)') + b'\x85R'
    + b'u.'
)  # fmt: skip
write_bad('eval_stack_global.pt', torch_zip(hidden, [('0', struct.pack('<4f', 1, 2, 3, 4))]))
# a view that claims 2^40 elements of a 4-element storage, and a storage that claims 2^40 elements
huge_view = PROTO2 + b'}(' + unicode('w') + rebuild + b'(' + storage + b'K\x00' + b'\x8a\x06\x00\x00\x00\x00\x00\x01\x85' + b'K\x01\x85' + b'\x89}tRu.'
write_bad('huge_view.pt', torch_zip(huge_view, [('0', struct.pack('<4f', 1, 2, 3, 4))]))
huge_storage = huge_view.replace(b'K\x04t', b'\x8a\x06\x00\x00\x00\x00\x00\x01t', 1)
write_bad('huge_storage.pt', torch_zip(huge_storage, [('0', struct.pack('<4f', 1, 2, 3, 4))]))
missing_record = PROTO2 + b'}(' + unicode('w') + tensor4 + b'u.'
write_bad('missing_record.pt', torch_zip(missing_record))
# a list that holds itself, and 2^40 paths through shared lists ("billion laughs"): both must stay linear
laughs = PROTO2 + b'(' + tensor4 + b'l' + b'q\x00' + b'0'
for i in range(1, 41):
    laughs += b'h' + bytes([i - 1]) + b'h' + bytes([i - 1]) + b'\x86' + b'q' + bytes([i]) + (b'0' if i < 40 else b'')
laughs += b'.'
write_bad('billion_laughs.pt', torch_zip(laughs, [('0', struct.pack('<4f', 1, 2, 3, 4))]))
cycle = PROTO2 + b']q\x00(' + tensor4 + b'h\x00e.'
write_bad('cycle.pt', torch_zip(cycle, [('0', struct.pack('<4f', 1, 2, 3, 4))]))

small_cnn = open(os.path.join(GOOD, 'small_cnn.pt'), 'rb').read()
write_bad('truncated.pt', small_cnn[: len(small_cnn) // 2])
torch.save(cnn.state_dict(), os.path.join(BAD, 'legacy.pt'), _use_new_zipfile_serialization=False)
with open(os.path.join(BAD, 'plain_pickle.pt'), 'wb') as f:
    f.write(PROTO2 + b'}' + unicode('a') + b'K\x01s.')

# .npy and safetensors headers that claim 2^40 elements, safetensors offsets past the end
npy_huge = b"{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776,), }"
npy_huge += b' ' * (-(len(npy_huge) + 11) % 64) + b'\n'
write_bad('huge_claim.npy', b'\x93NUMPY\x01\x00' + struct.pack('<H', len(npy_huge)) + npy_huge + b'\x00' * 16)
write_bad('truncated.npy', open(os.path.join(GOOD, 'float32.npy'), 'rb').read()[:-7])
write_bad('object.npy', b'\x93NUMPY\x01\x00' + struct.pack('<H', 118) + b"{'descr': '|O', 'fortran_order': False, 'shape': (2,), }".ljust(117) + b'\n' + b'\x80\x02.')


def safetensors_bytes(header, data):
    text = json.dumps(header).encode()
    return struct.pack('<Q', len(text)) + text + data


write_bad('huge_claim.safetensors', safetensors_bytes({'w': {'dtype': 'F32', 'shape': [2**40], 'data_offsets': [0, 2**42]}}, b'\x00' * 16))
write_bad('past_end.safetensors', safetensors_bytes({'w': {'dtype': 'F32', 'shape': [8], 'data_offsets': [0, 32]}}, b'\x00' * 16))
write_bad('overlap.safetensors', safetensors_bytes({'a': {'dtype': 'F32', 'shape': [2], 'data_offsets': [0, 8]}, 'b': {'dtype': 'F32', 'shape': [2], 'data_offsets': [4, 12]}}, b'\x00' * 12))
write_bad('header_past_end.safetensors', struct.pack('<Q', 2**40) + b'{}')

# .npz: truncated, a local header offset past the end, two entries over one member, a zip bomb
dtypes_npz = open(os.path.join(GOOD, 'dtypes.npz'), 'rb').read()
write_bad('truncated.npz', dtypes_npz[: len(dtypes_npz) - 100])
eocd = dtypes_npz.rindex(b'PK\x05\x06')
cd_offset = struct.unpack_from('<I', dtypes_npz, eocd + 16)[0]
past = bytearray(dtypes_npz)
struct.pack_into('<I', past, cd_offset + 42, 0x7FFFFFF0)  # the first entry's local header offset
write_bad('past_end.npz', bytes(past))


def zip_with(members):
    """A zip written field by field: members are (name, method, data as stored, crc, declared size, local offset or None)."""
    out, central = bytearray(), bytearray()
    for name, method, stored, crc, size, reuse in members:
        n = name.encode()
        offset = len(out) if reuse is None else reuse
        if reuse is None:
            out += struct.pack('<IHHHHHIIIHH', 0x04034B50, 20, 0, method, 0, 0, crc, len(stored), size, len(n), 0) + n + stored
        central += struct.pack('<IHHHHHHIIIHHHHHII', 0x02014B50, 20, 20, 0, method, 0, 0, crc, len(stored), size, len(n), 0, 0, 0, 0, 0, offset) + n
    eocd = struct.pack('<IHHHHIIH', 0x06054B50, 0, 0, len(members), len(members), len(central), len(out), 0)
    return bytes(out + central + eocd)


member = io.BytesIO()
np.lib.format.write_array(member, np.arange(4, dtype=np.float32))
member = member.getvalue()
write_bad('overlap.npz', zip_with([('a.npy', 0, member, zlib.crc32(member), len(member), None), ('b.npy', 0, member, zlib.crc32(member), len(member), 0)]))

def deflated(data):
    d = zlib.compressobj(9, zlib.DEFLATED, -15)
    return d.compress(data) + d.flush()


small = io.BytesIO()
np.lib.format.write_array(small, np.zeros(112))  # a 1 KiB .npy: 128-byte header, 112 float64
small = small.getvalue()
assert len(small) == 1024
# the directory and the header agree on 1 KiB, but the stream goes on to inflate to 16 MiB more: the reader
# must stop at what was declared
write_bad('zip_bomb.npz', zip_with([('x.npy', 8, deflated(small + bytes(2**24)), zlib.crc32(small), 1024, None)]))
# an honest 16 MiB member: listed from its header, refused when read under a small cap
big = io.BytesIO()
np.lib.format.write_array(big, np.zeros(2**21))
big = big.getvalue()
write_bad('big_member.npz', zip_with([('x.npy', 8, deflated(big), zlib.crc32(big), len(big), None)]))
write_bad('not_a_tensor_file.pth', b'import site\n/usr/lib/python3/dist-packages\n')
# copies for the extension-host tests, whose workspace folder is test/integration/workspace/
WORKSPACE = os.path.join(HERE, '..', 'integration', 'workspace', 'tensors')
os.makedirs(WORKSPACE, exist_ok=True)
for folder, name in [(GOOD, 'small_cnn.pt'), (GOOD, 'nan_inf.npy'), (GOOD, 'hand.safetensors'), (BAD, 'os_system.pt'), (BAD, 'not_a_tensor_file.pth')]:
    with open(os.path.join(folder, name), 'rb') as src, open(os.path.join(WORKSPACE, name), 'wb') as dst:
        dst.write(src.read())
print(f'wrote {len(expected)} good files to {GOOD} and {len(os.listdir(BAD))} bad files to {BAD}')
