/**
 * Float32 conv forward on WebAssembly SIMD (kernels in wasm/conv.ts, compiled by scripts/build-wasm.mjs into
 * convWasm.generated.ts). Same semantics as `gather` in ../window.ts, in float32. Pure TS: no Node or vscode API.
 *
 * The module is instantiated synchronously on first use and kept; its memory only grows. Per call: write the
 * geometry into the parameter block, `plan()` (layout + memory.grow), copy the operands in, `run()`, copy out.
 */
import type { WindowGeometry } from '../geometry';
import { CONV_WASM_BASE64 } from './convWasm.generated';

/**
 * The slice of the WebAssembly JS API used here. The project compiles against lib ES2022 + @types/node, which
 * declare no WebAssembly values, so it is read from globalThis (also how a runtime without it is detected).
 */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { readonly exports: unknown };
}
const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

interface ConvExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  paramsPtr(): number;
  plan(): number;
  run(): void;
}

/** Knobs for tests and benchmarks; the defaults are what `convWasmF32` uses. */
export interface WasmConvTuning {
  /** 'auto' picks depthwise when groups == bigChannels == smallChannels */
  readonly path?: 'auto' | 'gemm' | 'depthwise';
  /** max rows of the column matrix per packed block (default 512) */
  readonly kc?: number;
  /** output positions per packed block (default 128) */
  readonly nc?: number;
  /** output channels per weight block (default: as many as fit 256 KiB of packed weights) */
  readonly mc?: number;
  /** 'fused' (default) packs column panels straight from the input; 'explicit' builds the [K][N] column buffer first */
  readonly columns?: 'fused' | 'explicit';
}

// parameter block slots (i32), mirrored from wasm/conv.ts
const I_BATCH = 0,
  I_GROUPS = 1,
  I_BIGC = 2,
  I_SMALLC = 3,
  I_BIG = 4,
  I_SMALL = 7,
  I_KERNEL = 10,
  I_STRIDE = 13,
  I_DIL = 16,
  I_PAD = 19,
  I_HASBIAS = 22,
  I_PATH = 23,
  I_KC = 24,
  I_NC = 25,
  I_MC = 26,
  I_COLMODE = 27;
const O_BIG = 32,
  O_WEIGHT = 33,
  O_BIAS = 34,
  O_OUT = 35,
  O_PATH = 37;

let simd: boolean | undefined;
let ex: ConvExports | null = null;
let params = 0; // i32 index of the parameter block
let heapBuffer: ArrayBuffer | null = null;
let f32 = new Float32Array(0);
let i32 = new Int32Array(0);

/** i32.const 0; i8x16.splat; i8x16.popcnt — the smallest module that needs SIMD (as wasm-feature-detect). */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

export function wasmSimdAvailable(): boolean {
  if (simd === undefined) {
    try {
      simd = wasmApi !== undefined && wasmApi.validate(SIMD_PROBE);
    } catch {
      simd = false;
    }
  }
  return simd === true;
}

function decodeBase64(text: string): Uint8Array {
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

function exportsOf(): ConvExports {
  if (ex) return ex;
  if (!wasmSimdAvailable()) throw new Error('convWasmF32: this runtime has no WebAssembly SIMD');
  const api = wasmApi as WasmApi;
  const module = new api.Module(decodeBase64(CONV_WASM_BASE64));
  const instance = new api.Instance(module, {
    env: {
      abort() {
        throw new Error('convWasmF32: wasm abort');
      },
    },
  });
  ex = instance.exports as ConvExports;
  params = ex.paramsPtr() >> 2;
  return ex;
}

function views(e: ConvExports): void {
  const buffer = e.memory.buffer;
  if (buffer !== heapBuffer) {
    heapBuffer = buffer;
    f32 = new Float32Array(buffer);
    i32 = new Int32Array(buffer);
  }
}

function setTriple(at: number, t: readonly number[]): void {
  i32[params + at] = t[0];
  i32[params + at + 1] = t[1];
  i32[params + at + 2] = t[2];
}

/** `gather(w, big, weight, bias)` in float32 on WebAssembly SIMD. */
export function convWasmF32(
  w: WindowGeometry,
  big: Float32Array,
  weight: Float32Array,
  bias: Float32Array | null,
): Float32Array {
  return convWasmF32Tuned(w, big, weight, bias, undefined);
}

/** `convWasmF32` with explicit path and blocking choices (tests, benchmarks). */
export function convWasmF32Tuned(
  w: WindowGeometry,
  big: Float32Array,
  weight: Float32Array,
  bias: Float32Array | null,
  tuning: WasmConvTuning | undefined,
): Float32Array {
  const bigPlane = w.big[0] * w.big[1] * w.big[2];
  const smallPlane = w.small[0] * w.small[1] * w.small[2];
  const taps = w.kernel[0] * w.kernel[1] * w.kernel[2];
  const bigPerGroup = w.bigChannels / w.groups;
  const bigLen = w.batch * w.bigChannels * bigPlane;
  const weightLen = w.smallChannels * bigPerGroup * taps;
  const outLen = w.batch * w.smallChannels * smallPlane;
  if (big.length !== bigLen)
    throw new Error(`convWasmF32: input has ${big.length} values, the geometry needs ${bigLen}`);
  if (weight.length !== weightLen)
    throw new Error(`convWasmF32: weight has ${weight.length} values, the geometry needs ${weightLen}`);
  if (bias && bias.length !== w.smallChannels)
    throw new Error(`convWasmF32: bias has ${bias.length} values, the geometry needs ${w.smallChannels}`);
  if (outLen === 0) return new Float32Array(0);

  const e = exportsOf();
  views(e);
  const p = params;
  i32[p + I_BATCH] = w.batch;
  i32[p + I_GROUPS] = w.groups;
  i32[p + I_BIGC] = w.bigChannels;
  i32[p + I_SMALLC] = w.smallChannels;
  setTriple(I_BIG, w.big);
  setTriple(I_SMALL, w.small);
  setTriple(I_KERNEL, w.kernel);
  setTriple(I_STRIDE, w.stride);
  setTriple(I_DIL, w.dilation);
  setTriple(I_PAD, w.padBefore);
  i32[p + I_HASBIAS] = bias ? 1 : 0;
  i32[p + I_PATH] = tuning?.path === 'gemm' ? 1 : tuning?.path === 'depthwise' ? 2 : 0;
  i32[p + I_KC] = tuning?.kc ?? 0;
  i32[p + I_NC] = tuning?.nc ?? 0;
  i32[p + I_MC] = tuning?.mc ?? 0;
  i32[p + I_COLMODE] = tuning?.columns === 'explicit' ? 1 : 0;
  if (e.plan() < 0) throw new Error('convWasmF32: the problem does not fit in 4 GiB of WebAssembly memory');
  views(e); // plan() may have grown (and so detached) the memory
  // offsets are u32 in an Int32Array: >>> keeps them right past 2 GiB
  f32.set(big, i32[p + O_BIG] >>> 2);
  f32.set(weight, i32[p + O_WEIGHT] >>> 2);
  if (bias) f32.set(bias, i32[p + O_BIAS] >>> 2);
  e.run();
  const out = i32[p + O_OUT] >>> 2;
  return f32.slice(out, out + outLen);
}

/** Drops the instance and its memory (which only grows); the next call instantiates afresh. */
export function releaseWasmConv(): void {
  ex = null;
  heapBuffer = null;
  f32 = new Float32Array(0);
  i32 = new Int32Array(0);
}

/** Which path the last call took: 'gemm' or 'depthwise' (tests). */
export function lastWasmConvPath(): 'gemm' | 'depthwise' {
  return i32[params + O_PATH] === 2 ? 'depthwise' : 'gemm';
}
