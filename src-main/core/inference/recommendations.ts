import type { HardwareView, RecommendedModelView } from '../api/contract.js';

const GiB = 1024 ** 3;

/** "24 GiB", "8.0 GiB", "0.5 GiB": one decimal below 10 GiB, whole numbers above. */
export function formatGiB(bytes: number): string {
  const g = bytes / GiB;
  return g >= 10 ? `${Math.round(g)} GiB` : `${g.toFixed(1)} GiB`;
}

interface CatalogEntry {
  name: string;
  description: string;
  url: string;
  /** Approximate file size in bytes (see the note on {@link CATALOG}). */
  sizeBytes: number;
  /** Approximate KV-cache bytes per token of context (F16 K and V over all layers). */
  kvBytesPerToken: number;
}

/**
 * A small curated list of well-known instruct models under permissive licences (Apache-2.0 or
 * MIT), Q4_K_M quantisations with direct Hugging Face download URLs.
 *
 * Sizes are approximate (from memory, not checked against the files) and only feed the fit
 * check below; the download itself reports the real size.
 */
export const CATALOG: readonly CatalogEntry[] = [
  {
    name: 'Qwen2.5 0.5B Instruct (Q4_K_M)',
    description: 'Tiny and fast; fine for simple agent chores on any machine. Apache-2.0.',
    url: 'https://huggingface.co/bartowski/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/Qwen2.5-0.5B-Instruct-Q4_K_M.gguf',
    sizeBytes: 398e6,
    kvBytesPerToken: 12 * 1024, // 24 layers × 2 KV heads × 64 dims × K+V × 2 bytes
  },
  {
    name: 'Qwen2.5 1.5B Instruct (Q4_K_M)',
    description: 'Small general model with good tool-call JSON for its size. Apache-2.0.',
    url: 'https://huggingface.co/bartowski/Qwen2.5-1.5B-Instruct-GGUF/resolve/main/Qwen2.5-1.5B-Instruct-Q4_K_M.gguf',
    sizeBytes: 986e6,
    kvBytesPerToken: 28 * 1024, // 28 × 2 × 128 × 2 × 2
  },
  {
    name: 'Phi-3.5 mini Instruct (Q4_K_M)',
    description: "Microsoft's 3.8B model; strong reasoning for a laptop. MIT.",
    url: 'https://huggingface.co/bartowski/Phi-3.5-mini-instruct-GGUF/resolve/main/Phi-3.5-mini-instruct-Q4_K_M.gguf',
    sizeBytes: 2.39e9,
    kvBytesPerToken: 384 * 1024, // 32 × 32 × 96 × 2 × 2 (no grouped-query attention)
  },
  {
    name: 'Mistral 7B Instruct v0.3 (Q4_K_M)',
    description: 'Well-rounded 7B chat model with function calling. Apache-2.0.',
    url: 'https://huggingface.co/bartowski/Mistral-7B-Instruct-v0.3-GGUF/resolve/main/Mistral-7B-Instruct-v0.3-Q4_K_M.gguf',
    sizeBytes: 4.37e9,
    kvBytesPerToken: 128 * 1024, // 32 × 8 × 128 × 2 × 2
  },
  {
    name: 'Qwen2.5 7B Instruct (Q4_K_M)',
    description: 'Best all-round 7B for agents: reasoning, JSON and tool use. Apache-2.0.',
    url: 'https://huggingface.co/bartowski/Qwen2.5-7B-Instruct-GGUF/resolve/main/Qwen2.5-7B-Instruct-Q4_K_M.gguf',
    sizeBytes: 4.68e9,
    kvBytesPerToken: 56 * 1024, // 28 × 4 × 128 × 2 × 2
  },
  {
    name: 'Qwen2.5 14B Instruct (Q4_K_M)',
    description: 'Noticeably smarter than the 7Bs; wants a 12 GB GPU or a roomy CPU box. Apache-2.0.',
    url: 'https://huggingface.co/bartowski/Qwen2.5-14B-Instruct-GGUF/resolve/main/Qwen2.5-14B-Instruct-Q4_K_M.gguf',
    sizeBytes: 8.99e9,
    kvBytesPerToken: 192 * 1024, // 48 × 8 × 128 × 2 × 2
  },
];

/** The context the engine loads by default (engine.ts DEFAULT_MAX_CONTEXT), so the estimate matches. */
const CONTEXT_TOKENS = 4096;
/** Compute buffers and runtime overhead beyond the weights and the KV cache. */
const RUNTIME_OVERHEAD = 256 * 1024 ** 2;
/** RAM left for the operating system and the rest of the app when running on the CPU. */
export const SYSTEM_RESERVE = 2 * GiB;

/** Rough memory a model needs loaded: weights (+20% for mmap/alignment slack) plus a 4096-token context. */
export function neededBytes(entry: Pick<CatalogEntry, 'sizeBytes' | 'kvBytesPerToken'>): number {
  return Math.round(entry.sizeBytes * 1.2 + entry.kvBytesPerToken * CONTEXT_TOKENS + RUNTIME_OVERHEAD);
}

/**
 * The catalog judged against this machine. A model fits when it fits the GPU's VRAM, or else
 * total RAM minus {@link SYSTEM_RESERVE} (running on the CPU, slower). Order: models that fit
 * the GPU, then those that fit only in RAM, each largest first (the best quality that fits);
 * then those that do not fit, smallest (closest to fitting) first.
 */
export function recommendModels(hw: HardwareView, installedUrls: string[]): RecommendedModelView[] {
  const installed = new Set(installedUrls);
  const vram = hw.gpu && hw.vramBytes ? hw.vramBytes : 0;
  const ramBudget = Math.max(0, hw.ramBytes - SYSTEM_RESERVE);
  const gpu = hw.gpu ? gpuLabel(hw.gpu) : null;

  const rows = CATALOG.map((entry) => {
    const needs = neededBytes(entry);
    const inVram = vram > 0 && needs <= vram;
    const inRam = needs <= ramBudget;
    let why: string;
    if (inVram) why = `fits in ${formatGiB(vram)} VRAM on the ${gpu} GPU`;
    else if (inRam && vram > 0) why = `too big for the ${formatGiB(vram)} GPU; runs on the CPU in ${formatGiB(hw.ramBytes)} RAM (slower)`;
    else if (inRam) why = `fits in ${formatGiB(hw.ramBytes)} RAM on the CPU`;
    else why = `needs ${formatGiB(needs)}, this machine has ${formatGiB(hw.ramBytes)} RAM${vram > 0 ? ` and ${formatGiB(vram)} VRAM` : ''}`;
    const view: RecommendedModelView = {
      name: entry.name,
      description: entry.description,
      url: entry.url,
      sizeBytes: entry.sizeBytes,
      needsRamBytes: needs,
      fits: inVram || inRam,
      why,
      installed: installed.has(entry.url),
    };
    return { view, tier: inVram ? 0 : inRam ? 1 : 2 };
  });

  rows.sort((a, b) => a.tier - b.tier || (a.tier < 2 ? b.view.sizeBytes - a.view.sizeBytes : a.view.sizeBytes - b.view.sizeBytes));
  return rows.map((r) => r.view);
}

function gpuLabel(gpu: string): string {
  return ({ cuda: 'CUDA', vulkan: 'Vulkan', metal: 'Metal' } as Record<string, string>)[gpu] ?? gpu;
}
