import { describe, expect, it } from 'vitest';
import type { HardwareView } from '../api/contract.js';
import { CATALOG, formatGiB, neededBytes, recommendModels, SYSTEM_RESERVE } from './recommendations.js';

const GiB = 1024 ** 3;
const cpuBox = (ramGiB: number): HardwareView => ({ gpu: false, vramBytes: null, ramBytes: ramGiB * GiB, freeRamBytes: ramGiB * GiB * 0.5, cores: 4, note: '' });
const byName = (name: string) => CATALOG.find((c) => c.name.startsWith(name))!;

describe('model recommendations', () => {
  it('has a small catalog of direct Hugging Face GGUF links', () => {
    expect(CATALOG.length).toBeGreaterThanOrEqual(5);
    expect(CATALOG.length).toBeLessThanOrEqual(7);
    for (const c of CATALOG) {
      expect(c.url).toMatch(/^https:\/\/huggingface\.co\/[\w.-]+\/[\w.-]+\/resolve\/main\/[\w.-]+\.gguf$/);
      expect(neededBytes(c)).toBeGreaterThan(c.sizeBytes * 1.2);
    }
    expect(new Set(CATALOG.map((c) => c.url)).size).toBe(CATALOG.length);
  });

  it('on a 4 GiB laptop recommends only the small models, best first, and says why the rest do not fit', () => {
    const out = recommendModels(cpuBox(4), []);
    expect(out).toHaveLength(CATALOG.length);
    const fitting = out.filter((m) => m.fits).map((m) => m.name);
    expect(fitting).toEqual([byName('Qwen2.5 1.5B').name, byName('Qwen2.5 0.5B').name]);
    // Fitting models come first; the rest from the nearest to fitting.
    expect(out.slice(0, 2).every((m) => m.fits)).toBe(true);
    const rest = out.slice(2);
    expect(rest.every((m) => !m.fits)).toBe(true);
    expect(rest.map((m) => m.sizeBytes)).toEqual([...rest.map((m) => m.sizeBytes)].sort((a, b) => a - b));
    expect(out[0]!.why).toBe('fits in 4.0 GiB RAM on the CPU');
    const big = out.find((m) => m.name.startsWith('Qwen2.5 14B'))!;
    expect(big.why).toBe(`needs ${formatGiB(big.needsRamBytes)}, this machine has 4.0 GiB RAM`);
    for (const m of out) expect(m.fits).toBe(m.needsRamBytes <= 4 * GiB - SYSTEM_RESERVE);
  });

  it('on a big-RAM CPU box everything fits and the largest model leads', () => {
    const out = recommendModels(cpuBox(64), []);
    expect(out.every((m) => m.fits)).toBe(true);
    expect(out[0]!.name).toMatch(/^Qwen2\.5 14B/);
    expect(out.map((m) => m.sizeBytes)).toEqual([...CATALOG.map((c) => c.sizeBytes)].sort((a, b) => b - a));
    expect(out[0]!.why).toBe('fits in 64 GiB RAM on the CPU');
  });

  it('on a GPU box prefers what fits in VRAM, then what only fits in RAM', () => {
    const hw: HardwareView = { gpu: 'vulkan', vramBytes: 8 * GiB, ramBytes: 32 * GiB, freeRamBytes: 20 * GiB, cores: 8, note: '' };
    const out = recommendModels(hw, []);
    expect(out[0]!.name).toMatch(/^Qwen2\.5 7B/);
    expect(out[0]!.why).toBe('fits in 8.0 GiB VRAM on the Vulkan GPU');
    const last = out[out.length - 1]!;
    expect(last.name).toMatch(/^Qwen2\.5 14B/);
    expect(last.fits).toBe(true);
    expect(last.why).toBe('too big for the 8.0 GiB GPU; runs on the CPU in 32 GiB RAM (slower)');
    // A small GPU and little RAM: the 14B fits neither.
    const small = recommendModels({ ...hw, vramBytes: 4 * GiB, ramBytes: 8 * GiB }, []);
    const big = small.find((m) => m.name.startsWith('Qwen2.5 14B'))!;
    expect(big.fits).toBe(false);
    expect(big.why).toBe(`needs ${formatGiB(big.needsRamBytes)}, this machine has 8.0 GiB RAM and 4.0 GiB VRAM`);
    expect(small[small.length - 1]).toBe(big);
  });

  it('marks installed models by URL', () => {
    const url = byName('Phi-3.5').url;
    const out = recommendModels(cpuBox(16), [url, 'https://example.com/other.gguf']);
    expect(out.filter((m) => m.installed).map((m) => m.url)).toEqual([url]);
  });

  it('formats sizes in GiB', () => {
    expect(formatGiB(24 * GiB)).toBe('24 GiB');
    expect(formatGiB(8 * GiB)).toBe('8.0 GiB');
    expect(formatGiB(9.14 * GiB)).toBe('9.1 GiB');
  });
});
