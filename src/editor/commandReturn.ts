/**
 * What a command returns, as it leaves the extension host. Callers in the extension host (tests, scripts,
 * other extensions) get the whole result from `executeCommand`; but a command run from the palette, a menu or
 * a key binding is invoked by the workbench, and VS Code serialises its return value as JSON back to it. A
 * result holding a 1×3×224×224 tensor is a Float64Array that JSON writes as an object of 150,528 keys: measured
 * in code-server, 582 ms of the host's thread in `serializeReplyOK` for a ResNet stem. So the result is given a
 * `toJSON` (JSON.stringify calls it first) that writes a summary: its plain fields, each tensor's shape,
 * and each view's id.
 */
interface WithShape {
  readonly shape: readonly number[];
  readonly dtype?: unknown;
}

const hasShape = (v: unknown): v is WithShape =>
  typeof v === 'object' && v !== null && Array.isArray((v as { shape?: unknown }).shape);

function summary(value: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) out[k] = v;
    else if (hasShape(v))
      out[k] = typeof v.dtype === 'string' ? { shape: v.shape, dtype: v.dtype } : { shape: v.shape };
    else if (typeof v === 'object' && typeof (v as { id?: unknown }).id === 'string')
      out[k] = { id: (v as { id: string }).id, kind: (v as { kind?: unknown }).kind };
    else if (Array.isArray(v) && v.length <= 16 && v.every((x) => typeof x === 'number')) out[k] = v;
  }
  return out;
}

/** `value` itself, with a non-enumerable `toJSON` that writes its summary when it crosses to the workbench. */
export function summarisedWhenSerialised<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value) || 'toJSON' in value) return value;
  Object.defineProperty(value, 'toJSON', { value: () => summary(value), enumerable: false });
  return value;
}
