// Types of bench/families/pytorch.mjs for the bench family test (test/bench).
export function pythonCandidates(env?: Record<string, string | undefined>): string[];
export function findTorchPython(candidates?: string[]):
  | { python: string; torch: string; tried: { python: string; reason: string }[] }
  | {
      python: null;
      tried: { python: string; reason: string }[];
    };
export function startTorchServer(python: string): {
  request(obj: Record<string, unknown>): Promise<Record<string, unknown> & { ok: boolean; error?: string }>;
  close(): Promise<void>;
  stderr(): string;
};
