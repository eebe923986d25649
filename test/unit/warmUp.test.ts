/**
 * The warm-up of app/results/warmUp.ts: each small open is a task of its own, the sets open cleanly (a warm-up
 * that threw would warm nothing), the host's set stays on the host, and real work stops it.
 */
import { describe, expect, it } from 'vitest';
import { openResult, runsInline } from '../../src/app/results';
import { WARM_UP_SPECS, warmUp } from '../../src/app/results/warmUp';

describe('warm-up', () => {
  it('opens each spec of a set, one per task, `rounds` times', () => {
    const tasks: (() => void)[] = [];
    const specs = WARM_UP_SPECS.inline();
    warmUp(
      specs,
      () => false,
      (next) => tasks.push(next),
      2,
    );
    let ran = 0;
    while (tasks.length > 0) {
      tasks.shift()!();
      ran++;
    }
    // the first task only schedules; then one open per task
    expect(ran).toBe(1 + specs.length * 2);
  });

  it('stops as soon as real work has arrived', () => {
    const tasks: (() => void)[] = [];
    let serving = false;
    warmUp(
      WARM_UP_SPECS.inline(),
      () => serving,
      (next) => tasks.push(next),
    );
    tasks.shift()!();
    tasks.shift()!();
    serving = true;
    tasks.shift()!();
    expect(tasks).toHaveLength(0);
  });

  it('has sets that open without an error, the host’s small enough to open on its thread', () => {
    for (const spec of WARM_UP_SPECS.inline()) {
      expect(runsInline(spec)).toBe(true);
      expect(() => openResult(spec)).not.toThrow();
    }
    for (const spec of WARM_UP_SPECS.worker()) expect(() => openResult(spec)).not.toThrow();
  });
});
