import { describe, expect, it } from 'vitest';
import { summarisedWhenSerialised } from '../../src/editor/commandReturn';
import { zeros } from '../../src/engine/tensor';

// VS Code's RPC writes a command's return value with JSON.stringify and a replacer (for URIs); this does the same.
const acrossTheRpc = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => x);

describe('a command result crossing to the workbench', () => {
  const stem = () => ({
    ok: true,
    view: { id: 'v7', kind: 'conv', trace: { steps: new Float64Array(1000) } },
    output: zeros([1, 64, 112, 112]),
    shape: [1, 64, 112, 112],
    outcome: null,
  });

  it('is written as a summary of a few hundred bytes, not the 802,816 numbers it holds', () => {
    const json = acrossTheRpc(summarisedWhenSerialised(stem()));
    expect(json.length).toBeLessThan(300);
    expect(JSON.parse(json)).toEqual({
      ok: true,
      view: { id: 'v7', kind: 'conv' },
      output: { shape: [1, 64, 112, 112] },
      shape: [1, 64, 112, 112],
      outcome: null,
    });
    // without it, the same result is megabytes of JSON
    expect(acrossTheRpc(stem()).length).toBeGreaterThan(1_000_000);
  });

  it('stays whole for callers in the extension host: same fields, same data', () => {
    const r = stem();
    const data = r.output.data;
    const same = summarisedWhenSerialised(r);
    expect(same).toBe(r);
    expect(Object.keys(same)).toEqual(['ok', 'view', 'output', 'shape', 'outcome']);
    expect(same.output.data).toBe(data);
  });

  it('leaves what is not a plain object as it is', () => {
    expect(summarisedWhenSerialised(undefined)).toBeUndefined();
    expect(summarisedWhenSerialised(3)).toBe(3);
    const dated = new Date(0);
    expect(acrossTheRpc(summarisedWhenSerialised(dated))).toBe(JSON.stringify(dated));
  });
});
