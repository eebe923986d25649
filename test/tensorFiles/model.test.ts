/** The editor's data side without VS Code: stats arrive one tensor at a time, asked-for ones first. */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TensorFile, TensorFileModel, listingText, openFileSource, type StatsState } from '../../src/tensorFiles';

const FIXTURES = resolve(__dirname, 'fixtures');
const open = async (name: string) => TensorFile.open(await openFileSource(resolve(FIXTURES, name)), { name });

async function settled(model: TensorFileModel): Promise<void> {
  for (let i = 0; i < 200 && model.listing.tensors.some((t) => model.statsState(t.name).state === 'pending'); i++) {
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('TensorFileModel', () => {
  it('computes every tensor’s stats in the background, in listing order, when the file is small', async () => {
    const order: string[] = [];
    const model = new TensorFileModel(await open('checkpoint.ckpt'), { onStats: (name) => order.push(name) });
    expect(model.statsState('model.conv1.weight')).toEqual({ state: 'pending' });
    model.start();
    await settled(model);
    expect(order).toEqual(model.listing.tensors.map((t) => t.name));
    const s = model.statsState('model.bn1.num_batches_tracked');
    expect(s.state === 'done' && s.stats.max).toBe(2);
    model.dispose();
  });

  it('over the eager budget, computes only what is asked for, asked-for first', async () => {
    const order: string[] = [];
    const model = new TensorFileModel(await open('checkpoint.ckpt'), {
      eagerStatsBytes: 0,
      onStats: (name) => order.push(name),
    });
    model.start();
    await new Promise((r) => setTimeout(r, 20));
    expect(order).toEqual([]);
    model.want(['model.fc.weight', 'optimizer.state.7.exp_avg', 'no such tensor']);
    await new Promise((r) => setTimeout(r, 50));
    expect(order).toEqual(['model.fc.weight', 'optimizer.state.7.exp_avg']);
    expect(model.statsState('model.conv1.weight').state).toBe('pending');
    model.dispose();
  });

  it('a tensor whose stats cannot be computed is marked failed with the reason; the rest go on', async () => {
    const states = new Map<string, StatsState>();
    const file = await TensorFile.open(await openFileSource(resolve(__dirname, 'bad/big_member.npz')), {
      name: 'big_member.npz',
      maxElements: 1000,
    });
    const model = new TensorFileModel(file, { onStats: (n, s) => states.set(n, s) });
    model.start();
    await settled(model);
    const s = states.get('x')!;
    expect(s.state).toBe('failed');
    expect(s.state === 'failed' && s.error).toMatch(/inflated whole to read any of it/);
    await expect(model.stats('x')).rejects.toThrow(/inflated whole/);
    model.dispose();
  });

  it('reads values and slices; dispose stops everything and closes the file', async () => {
    const model = new TensorFileModel(await open('views.pt'), { eagerStatsBytes: 0 });
    const t = await model.read('base', { slice: [1] });
    expect([...t.data]).toEqual([6, 7, 8, 9, 10, 11]);
    model.dispose();
    await expect(model.read('base')).rejects.toThrow(/cancelled/);
  });

  it('the plain listing text shows pending stats until they arrive', async () => {
    const model = new TensorFileModel(await open('nan_inf.npy'));
    const cell = () => {
      const s = model.statsState('');
      return s.state === 'done' ? s.stats : s.state === 'failed' ? { error: s.error } : { pending: true as const };
    };
    expect(listingText(model.listing, cell)).toMatch(/\(the tensor\)\s+float32\s+4×5\s+80 B\s+…\s+…\s+…/);
    model.start();
    await settled(model);
    expect(listingText(model.listing, cell)).toMatch(/\(the tensor\)\s+float32\s+4×5\s+80 B\s+0\s+19\s+9\.563\s+2\s+2/);
    model.dispose();
  });
});
