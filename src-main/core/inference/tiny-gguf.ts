// A tiny llama-architecture GGUF model (~0.5 MB, random F32 weights) generated from code, so
// tests can run the real inference engine (node-llama-cpp / llama.cpp) without downloading a
// model. The output is gibberish by design: tests may check structure (token counts, stop
// reasons, schema-valid JSON), never content.
//
// The module has two parts: a minimal GGUF v3 writer, and the model content (hyperparameters,
// vocabulary, chat template, seeded weights).
import { writeFileSync } from 'node:fs';
import { mulberry32 } from '../prng.js';

export interface TinyGgufOptions {
  /** PRNG seed for the weights; the same seed always yields byte-identical files. Default 1. */
  seed?: number;
}

// ---------------------------------------------------------------------------------------------
// GGUF writer
// ---------------------------------------------------------------------------------------------

// GGUF metadata value types (from the GGUF specification).
const GGUF_TYPE = {
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  array: 9,
} as const;

// ggml tensor type ids; only F32 is written (quantised types would need block encoders).
const GGML_TYPE_F32 = 0;

const GGUF_VERSION = 3;
// 32 is the GGUF default alignment; stating it in metadata too makes the file self-describing.
const ALIGNMENT = 32;

type MetadataValue =
  | { type: 'uint32'; value: number }
  | { type: 'int32'; value: number }
  | { type: 'float32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'string[]'; value: readonly string[] }
  | { type: 'int32[]'; value: readonly number[] }
  | { type: 'float32[]'; value: readonly number[] };

interface MetadataEntry {
  key: string;
  v: MetadataValue;
}

interface TensorSpec {
  name: string;
  /** Dimensions fastest-varying first, as GGUF stores them (ggml's ne[0], ne[1], ...). */
  dims: readonly number[];
  data: Float32Array;
}

/** Little-endian append-only byte buffer that grows as needed. */
class ByteWriter {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  private len = 0;

  get length(): number {
    return this.len;
  }

  private reserve(n: number): number {
    const need = this.len + n;
    if (need > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < need) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    const at = this.len;
    this.len = need;
    return at;
  }

  u8(v: number): void {
    const at = this.reserve(1); // before reading this.view: reserve may replace it
    this.view.setUint8(at, v);
  }
  u32(v: number): void {
    const at = this.reserve(4);
    this.view.setUint32(at, v, true);
  }
  i32(v: number): void {
    const at = this.reserve(4);
    this.view.setInt32(at, v, true);
  }
  u64(v: number): void {
    const at = this.reserve(8);
    this.view.setBigUint64(at, BigInt(v), true);
  }
  f32(v: number): void {
    const at = this.reserve(4);
    this.view.setFloat32(at, v, true);
  }
  bytes(b: Uint8Array): void {
    this.buf.set(b, this.reserve(b.length));
  }
  /** GGUF string: u64 byte length, then UTF-8 bytes without a terminator. */
  str(s: string): void {
    const b = utf8.encode(s);
    this.u64(b.length);
    this.bytes(b);
  }
  /** Zero bytes up to the next multiple of `alignment`. */
  pad(alignment: number): void {
    const rem = this.len % alignment;
    if (rem !== 0) this.reserve(alignment - rem); // fresh buffer space is already zero
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

const utf8 = new TextEncoder();

function writeMetadataValue(w: ByteWriter, v: MetadataValue): void {
  switch (v.type) {
    case 'uint32': w.u32(GGUF_TYPE.uint32); w.u32(v.value); return;
    case 'int32': w.u32(GGUF_TYPE.int32); w.i32(v.value); return;
    case 'float32': w.u32(GGUF_TYPE.float32); w.f32(v.value); return;
    case 'bool': w.u32(GGUF_TYPE.bool); w.u8(v.value ? 1 : 0); return;
    case 'string': w.u32(GGUF_TYPE.string); w.str(v.value); return;
    // Arrays: array tag, element type, u64 count, then the bare elements.
    case 'string[]':
      w.u32(GGUF_TYPE.array); w.u32(GGUF_TYPE.string); w.u64(v.value.length);
      for (const s of v.value) w.str(s);
      return;
    case 'int32[]':
      w.u32(GGUF_TYPE.array); w.u32(GGUF_TYPE.int32); w.u64(v.value.length);
      for (const n of v.value) w.i32(n);
      return;
    case 'float32[]':
      w.u32(GGUF_TYPE.array); w.u32(GGUF_TYPE.float32); w.u64(v.value.length);
      for (const n of v.value) w.f32(n);
      return;
  }
}

/** Serialises a complete GGUF v3 file: header, metadata, tensor infos, aligned tensor data. */
function encodeGguf(metadata: readonly MetadataEntry[], tensors: readonly TensorSpec[]): Uint8Array {
  const w = new ByteWriter();
  w.bytes(utf8.encode('GGUF'));
  w.u32(GGUF_VERSION);
  w.u64(tensors.length);
  w.u64(metadata.length);
  for (const { key, v } of metadata) {
    w.str(key);
    writeMetadataValue(w, v);
  }

  // Tensor offsets are relative to the start of the data section; each tensor starts aligned.
  let offset = 0;
  for (const t of tensors) {
    const count = t.dims.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new Error(`tensor ${t.name}: ${t.data.length} values for dims ${t.dims.join('x')}`);
    w.str(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(GGML_TYPE_F32);
    w.u64(offset);
    offset = alignUp(offset + t.data.byteLength, ALIGNMENT);
  }

  w.pad(ALIGNMENT);
  for (const t of tensors) {
    // Written value by value (not by copying the Float32Array's memory) so the file is
    // little-endian regardless of the host.
    for (const x of t.data) w.f32(x);
    w.pad(ALIGNMENT);
  }
  return w.finish();
}

function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

// ---------------------------------------------------------------------------------------------
// Model content
// ---------------------------------------------------------------------------------------------

// Hyperparameters known to load and run fast in node-llama-cpp 3.22 on CPU.
const N_CTX = 2048;
const N_EMBD = 64;
const N_LAYER = 2;
const N_FF = 128;
const N_HEAD = 4;
const N_HEAD_KV = 4;
const RMS_EPS = 1e-5;
const ROPE_FREQ_BASE = 10000;
const ROPE_DIMS = N_EMBD / N_HEAD; // 16: rotate the whole head

// llama.cpp token types.
const TOKEN_NORMAL = 1;
const TOKEN_UNKNOWN = 2;
const TOKEN_CONTROL = 3;
const TOKEN_BYTE = 6;

const UNK_ID = 0;
const BOS_ID = 1;
const EOS_ID = 2;

// A few multi-character pieces so the SentencePiece-style tokenizer has merges to do; the
// rest of the vocabulary is single characters plus byte fallback for everything else.
const MERGED_PIECES = ['▁the', '▁and', '▁to', '▁of', '▁is', 'in', 'er', 'on', 'an', 're', 'ing', 'ed'];

// ChatML. node-llama-cpp recognises this template and picks its ChatML wrapper; without a
// template it would fall back to a Llama-2 wrapper.
const CHATML_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

interface Vocabulary {
  tokens: string[];
  types: number[];
  scores: number[];
  /** Per-token logit bias carried by the bias channel (see modelTensors). */
  bias: number[];
  imEndId: number;
}

// Bias of `"` above the +1.5 for letters: at 3, greedy decoding closes an unbounded JSON string
// for most seeds (4 of seeds 1-6) while plain completion stays varied; at 4.5 and above it
// degenerates into runs of quotes. Greedy decoding on random weights loops, so a string can
// still run to maxTokens for some seeds: bound strings (maxLength) in tests that need them closed.
const QUOTE_BIAS = 3;

/**
 * The bias each token gets through the bias channel. Random weights alone emit bytes >= 0x80
 * (invalid UTF-8) and end tokens early; these biases steer sampling to printable ASCII that
 * still ends, and towards closing JSON strings.
 */
function tokenBias(piece: string, type: number, byte: number | undefined): number {
  const FORBID = -30; // never wins against anything allowed
  if (type === TOKEN_UNKNOWN) return FORBID;
  if (piece === '<s>' || piece === '<|im_start|>') return FORBID;
  if (piece === '</s>' || piece === '<|im_end|>') return -2; // ends, but not at once
  if (byte !== undefined) {
    // Bytes >= 0x80 would break UTF-8 and control characters are noise; printable bytes
    // duplicate the character tokens, which are preferred.
    if (byte >= 0x80 || byte < 0x20 || byte === 0x7f) return FORBID;
    return -4;
  }
  // node-llama-cpp's number grammar allows exponents; discourage runaway `1e...`.
  if (piece === 'e' || piece === 'E') return -2;
  // Mildly favour word characters and spaces, and `"` a little more so JSON strings close.
  if (piece === '"') return QUOTE_BIAS;
  if (/^[a-z]$/.test(piece) || piece === '▁') return 1.5;
  return 0;
}

function buildVocabulary(): Vocabulary {
  const tokens: string[] = [];
  const types: number[] = [];
  const scores: number[] = [];
  const bias: number[] = [];
  const add = (piece: string, type: number, score: number, byte?: number): number => {
    tokens.push(piece);
    types.push(type);
    scores.push(score);
    bias.push(tokenBias(piece, type, byte));
    return tokens.length - 1;
  };

  add('<unk>', TOKEN_UNKNOWN, 0);
  add('<s>', TOKEN_CONTROL, 0);
  add('</s>', TOKEN_CONTROL, 0);
  // Byte fallback: any text is tokenisable, and byte tokens decode to raw bytes (type 6 is
  // what makes llama.cpp treat `<0xNN>` as a byte rather than literal text).
  for (let b = 0; b < 256; b++) add(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, TOKEN_BYTE, 0, b);
  add('<|im_start|>', TOKEN_CONTROL, 0);
  // llama.cpp recognises `<|im_end|>` by its text as an end-of-generation token.
  const imEndId = add('<|im_end|>', TOKEN_CONTROL, 0);
  add('▁', TOKEN_NORMAL, -1); // SentencePiece's space
  for (let c = 0x21; c <= 0x7e; c++) add(String.fromCharCode(c), TOKEN_NORMAL, -1);
  // SentencePiece merges the highest-scoring known pair first; longer pieces score higher.
  for (const piece of MERGED_PIECES) add(piece, TOKEN_NORMAL, piece.length);
  return { tokens, types, scores, bias, imEndId };
}

function modelMetadata(vocab: Vocabulary, seed: number): MetadataEntry[] {
  const u32 = (value: number): MetadataValue => ({ type: 'uint32', value });
  const f32 = (value: number): MetadataValue => ({ type: 'float32', value });
  const str = (value: string): MetadataValue => ({ type: 'string', value });
  // Note: llama.cpp aborts the process (uncatchable) without feed_forward_length or
  // attention.head_count, so they must never be dropped.
  return [
    { key: 'general.architecture', v: str('llama') },
    // Neutral name: words such as "llama" or "chatml" in the name sway node-llama-cpp's
    // chat-wrapper choice.
    { key: 'general.name', v: str(`tiny-random-${seed}`) },
    { key: 'general.alignment', v: u32(ALIGNMENT) },
    { key: 'general.file_type', v: u32(0) }, // all F32
    { key: 'llama.vocab_size', v: u32(vocab.tokens.length) },
    { key: 'llama.context_length', v: u32(N_CTX) },
    { key: 'llama.embedding_length', v: u32(N_EMBD) },
    { key: 'llama.block_count', v: u32(N_LAYER) },
    { key: 'llama.feed_forward_length', v: u32(N_FF) },
    { key: 'llama.attention.head_count', v: u32(N_HEAD) },
    { key: 'llama.attention.head_count_kv', v: u32(N_HEAD_KV) },
    { key: 'llama.attention.layer_norm_rms_epsilon', v: f32(RMS_EPS) },
    { key: 'llama.rope.freq_base', v: f32(ROPE_FREQ_BASE) },
    { key: 'llama.rope.dimension_count', v: u32(ROPE_DIMS) },
    { key: 'tokenizer.ggml.model', v: str('llama') },
    { key: 'tokenizer.ggml.tokens', v: { type: 'string[]', value: vocab.tokens } },
    { key: 'tokenizer.ggml.scores', v: { type: 'float32[]', value: vocab.scores } },
    { key: 'tokenizer.ggml.token_type', v: { type: 'int32[]', value: vocab.types } },
    { key: 'tokenizer.ggml.unknown_token_id', v: u32(UNK_ID) },
    { key: 'tokenizer.ggml.bos_token_id', v: u32(BOS_ID) },
    { key: 'tokenizer.ggml.eos_token_id', v: u32(EOS_ID) },
    { key: 'tokenizer.ggml.eot_token_id', v: u32(vocab.imEndId) },
    { key: 'tokenizer.ggml.add_bos_token', v: { type: 'bool', value: true } },
    { key: 'tokenizer.ggml.add_eos_token', v: { type: 'bool', value: false } },
    { key: 'tokenizer.chat_template', v: str(CHATML_TEMPLATE) },
  ];
}


/** Uniform values with mean 0 and the given standard deviation (uniform avoids Math.log/cos). */
function randomTensor(rand: () => number, count: number, std: number): Float32Array {
  const out = new Float32Array(count);
  const half = std * Math.sqrt(3);
  for (let i = 0; i < count; i++) out[i] = (rand() * 2 - 1) * half;
  return out;
}

// The bias channel: one residual dimension that every token embedding sets to a constant and
// that no block reads from or writes to. After the final RMS norm it is still (nearly) constant,
// so the output matrix's weights on it act as a fixed per-token logit bias.
const BIAS_DIM = N_EMBD - 1;
const BIAS_VALUE = 1;
const EMBD_STD = 0.1; // other residual dims: small next to BIAS_VALUE so the bias dominates the norm
// After RMS norm the bias dim is about BIAS_VALUE / rms(x); with the residual's random part
// near EMBD_STD that is ~6, so output weights on it are scaled down by that much.
const BIAS_GAIN = 1 / Math.sqrt((BIAS_VALUE * BIAS_VALUE + (N_EMBD - 1) * EMBD_STD * EMBD_STD) / N_EMBD);

function constant(count: number, value: number): Float32Array {
  return new Float32Array(count).fill(value);
}

/** Zeroes output row `row` of a [nIn, nOut] matrix (rows are nIn contiguous values). */
function zeroRow(m: Float32Array, nIn: number, row: number): void {
  m.fill(0, row * nIn, (row + 1) * nIn);
}

function modelTensors(vocab: Vocabulary, seed: number): TensorSpec[] {
  const rand = mulberry32(seed);
  const nVocab = vocab.tokens.length;

  const tokenEmbd = randomTensor(rand, N_EMBD * nVocab, EMBD_STD);
  for (let t = 0; t < nVocab; t++) tokenEmbd[t * N_EMBD + BIAS_DIM] = BIAS_VALUE;

  // Random part gives logits a spread of about 2 (varied, not degenerate text); the bias
  // column carries the per-token bias.
  const output = randomTensor(rand, N_EMBD * nVocab, 0.4);
  for (let t = 0; t < nVocab; t++) output[t * N_EMBD + BIAS_DIM] = (vocab.bias[t] ?? 0) / BIAS_GAIN;

  // Block input norms ignore the bias channel, so attention and FFN see only the random part.
  const blockNorm = (): Float32Array => {
    const w = constant(N_EMBD, 1);
    w[BIAS_DIM] = 0;
    return w;
  };

  const tensors: TensorSpec[] = [
    { name: 'token_embd.weight', dims: [N_EMBD, nVocab], data: tokenEmbd },
    { name: 'output_norm.weight', dims: [N_EMBD], data: constant(N_EMBD, 1) },
    { name: 'output.weight', dims: [N_EMBD, nVocab], data: output },
  ];
  const inStd = 1 / Math.sqrt(N_EMBD);
  for (let l = 0; l < N_LAYER; l++) {
    const attnOut = randomTensor(rand, N_EMBD * N_EMBD, 0.1 / Math.sqrt(N_EMBD));
    zeroRow(attnOut, N_EMBD, BIAS_DIM); // blocks never write to the bias channel
    const ffnDown = randomTensor(rand, N_FF * N_EMBD, 0.2 / Math.sqrt(N_FF));
    zeroRow(ffnDown, N_FF, BIAS_DIM);
    const p = `blk.${l}.`;
    tensors.push(
      { name: `${p}attn_norm.weight`, dims: [N_EMBD], data: blockNorm() },
      { name: `${p}attn_q.weight`, dims: [N_EMBD, N_EMBD], data: randomTensor(rand, N_EMBD * N_EMBD, inStd) },
      { name: `${p}attn_k.weight`, dims: [N_EMBD, N_EMBD], data: randomTensor(rand, N_EMBD * N_EMBD, inStd) },
      { name: `${p}attn_v.weight`, dims: [N_EMBD, N_EMBD], data: randomTensor(rand, N_EMBD * N_EMBD, inStd) },
      { name: `${p}attn_output.weight`, dims: [N_EMBD, N_EMBD], data: attnOut },
      { name: `${p}ffn_norm.weight`, dims: [N_EMBD], data: blockNorm() },
      { name: `${p}ffn_gate.weight`, dims: [N_EMBD, N_FF], data: randomTensor(rand, N_EMBD * N_FF, inStd) },
      { name: `${p}ffn_up.weight`, dims: [N_EMBD, N_FF], data: randomTensor(rand, N_EMBD * N_FF, inStd) },
      { name: `${p}ffn_down.weight`, dims: [N_FF, N_EMBD], data: ffnDown },
    );
  }
  return tensors;
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/**
 * The bytes of a tiny random llama-architecture GGUF model (ChatML template, 368-token
 * byte-fallback vocabulary). Deterministic: the same seed gives byte-identical output.
 * Run it with one thread (`threads: 1` on the context): more threads make this model orders of
 * magnitude slower.
 */
export function tinyGgufBytes(opts: TinyGgufOptions = {}): Uint8Array {
  const seed = opts.seed ?? 1;
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  const vocab = buildVocabulary();
  return encodeGguf(modelMetadata(vocab, seed), modelTensors(vocab, seed));
}

/** Writes `tinyGgufBytes(opts)` to `file`. */
export function writeTinyGguf(file: string, opts: TinyGgufOptions = {}): void {
  writeFileSync(file, tinyGgufBytes(opts));
}
