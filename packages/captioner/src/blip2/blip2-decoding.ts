// Decoding for the compiled BLIP-2 OPT decoder: attention bias / empty cache tensors, and greedy and beam search
// over a step function, with transformers' semantics (generation/utils.py greedy_search and beam_search with
// BeamSearchScorer / BeamHypotheses): greedy feeds pad to finished rows; beam search ranks log-softmax sums over
// num_beams × vocab, keeps 2·num_beams candidates, finishes a hypothesis when eos ranks within the first num_beams
// (score = sum / generated_len^length_penalty, generated_len excluding eos), and with early_stopping false stops an
// image once its best candidate, at the current length, cannot beat the worst kept hypothesis.
import { Diff2in1Error, Tensor } from '@diff2in1/tensor';
import type { Blip2Config } from './configuration-blip-2.js';
import { decoderCacheNames } from './modeling-blip-2-generation.js';

/** torch.finfo(torch.float32).min: what transformers puts at masked positions of its additive 4-D mask. */
export const FLOAT32_MIN = -3.4028234663852886e38;

/** Additive causal bias [batch, 1, T, past+T]: query i (absolute position past+i) sees keys 0..past+i. */
export function causalBias(batch: number, t: number, past: number): Tensor<'float32'> {
  const total = past + t;
  const one = new Float32Array(t * total);
  for (let i = 0; i < t; i++) for (let j = past + i + 1; j < total; j++) one[i * total + j] = FLOAT32_MIN;
  const data = new Float32Array(batch * t * total);
  for (let b = 0; b < batch; b++) data.set(one, b * one.length);
  return new Tensor('float32', [batch, 1, t, total], data);
}

/** Zero-length past keys/values for every layer (the first decoder call). */
export function emptyPast(config: Blip2Config, batch: number): Record<string, Tensor> {
  const t = config.text_config;
  const d = t.hidden_size / t.num_attention_heads;
  const out: Record<string, Tensor> = {};
  for (const n of decoderCacheNames(config).past) out[n] = new Tensor('float32', [batch, t.num_attention_heads, 0, d]);
  return out;
}

/** One decoder call: `rows` picks cache rows (beam reordering) before feeding `tokens` (one per row). */
export type DecodeStep = (tokens: readonly number[], rows: readonly number[]) => Promise<Float32Array[]>;

export interface GenerateOptions {
  maxNewTokens: number;
  eosTokenId: number;
  padTokenId: number;
  /** 1 = greedy. */
  numBeams?: number;
  lengthPenalty?: number;
}

function argmax(x: Float32Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if ((x[i] as number) > (x[best] as number)) best = i;
  return best;
}

function logSoftmax(x: Float32Array): Float64Array {
  let m = -Infinity;
  for (const v of x) if (v > m) m = v;
  let s = 0;
  for (const v of x) s += Math.exp(v - m);
  const lse = m + Math.log(s);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (x[i] as number) - lse;
  return out;
}

/**
 * Greedy decoding for `first.length` rows: `first[r]` are the logits after the prompt; `step` feeds one token per
 * row. Returns the generated ids per row (eos included when reached).
 */
export async function greedyGenerate(first: Float32Array[], step: DecodeStep, o: GenerateOptions): Promise<number[][]> {
  const n = first.length;
  const out: number[][] = first.map(() => []);
  const done = new Array<boolean>(n).fill(false);
  const rows = first.map((_, i) => i);
  let logits = first;
  for (let t = 0; t < o.maxNewTokens; t++) {
    const next = logits.map((l, r) => (done[r] ? o.padTokenId : argmax(l)));
    next.forEach((tok, r) => {
      if (done[r]) return;
      out[r]!.push(tok);
      if (tok === o.eosTokenId) done[r] = true;
    });
    if (done.every(Boolean) || t === o.maxNewTokens - 1) break;
    logits = await step(next, rows);
  }
  return out;
}

/** transformers' BeamHypotheses: the best `k` finished hypotheses and the worst kept score. */
class BeamHypotheses {
  readonly beams: { score: number; tokens: number[] }[] = [];
  worst = 1e9;

  constructor(readonly k: number, readonly lengthPenalty: number) {}

  /** score = sum of log-probs / generated_len^length_penalty (generated_len excludes the eos token). */
  add(tokens: number[], sumLogprobs: number, generatedLen: number): void {
    const score = sumLogprobs / generatedLen ** this.lengthPenalty;
    if (this.beams.length < this.k || score > this.worst) {
      this.beams.push({ score, tokens });
      if (this.beams.length > this.k) {
        const order = this.beams.map((b, i) => [b.score, i] as const).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
        this.beams.splice(order[0]![1], 1);
        this.worst = order[1]![0];
      } else {
        this.worst = Math.min(score, this.worst);
      }
    }
  }

  /** early_stopping false: done when the best candidate, at the current length, cannot beat the worst kept. */
  isDone(bestSumLogprobs: number, curLen: number): boolean {
    if (this.beams.length < this.k) return false;
    return this.worst >= bestSumLogprobs / curLen ** this.lengthPenalty;
  }
}

interface Beam {
  tokens: number[];
  score: number;
  /** Row of the decoder cache this beam continues. */
  row: number;
}

/**
 * Beam search with `numBeams` beams per image, as transformers' beam_search + BeamSearchScorer (length_penalty,
 * early_stopping false, one returned sequence). `first[i]` are image i's logits after the prompt (the cache then
 * holds one row per image); `step` receives, per live beam, its new token and the cache row it continues.
 * Returned sequences end with eos when a finished hypothesis wins (transformers appends it when shorter than the
 * maximum length).
 */
export async function beamSearchGenerate(first: Float32Array[], step: DecodeStep, o: GenerateOptions): Promise<number[][]> {
  const k = o.numBeams ?? 1;
  if (!Number.isSafeInteger(k) || k < 1) throw new Diff2in1Error('captioner', `numBeams must be a positive integer, got ${k}`);
  const lp = o.lengthPenalty ?? 1;
  const n = first.length;
  const hyps = first.map(() => new BeamHypotheses(k, lp));
  const done = new Array<boolean>(n).fill(false);
  // Beams 1..k-1 start at -1e9 in transformers, so only beam 0 contributes to the first step: one beam suffices.
  let beams: Beam[][] = first.map((_, i) => [{ tokens: [], score: 0, row: i }]);
  let logits = first;
  for (let t = 0; t < o.maxNewTokens; t++) {
    for (let i = 0; i < n; i++) {
      if (done[i]) continue;
      const cands: { score: number; beam: Beam; tok: number }[] = [];
      for (const beam of beams[i]!) {
        const lsm = logSoftmax(logits[beam.row]!);
        for (let v = 0; v < lsm.length; v++) cands.push({ score: beam.score + (lsm[v] as number), beam, tok: v });
      }
      cands.sort((a, b) => b.score - a.score);
      const top = cands.slice(0, 2 * k);
      const next: Beam[] = [];
      for (const [rank, c] of top.entries()) {
        if (c.tok === o.eosTokenId) {
          if (rank >= k) continue; // only eos among the top k candidates finishes a hypothesis
          hyps[i]!.add(c.beam.tokens, c.score, t);
        } else {
          next.push({ tokens: [...c.beam.tokens, c.tok], score: c.score, row: c.beam.row });
        }
        if (next.length === k) break;
      }
      beams[i] = next;
      done[i] = hyps[i]!.isDone(top[0]!.score, t);
    }
    if (done.every(Boolean) || t === o.maxNewTokens - 1) break;
    const live = beams.flatMap((bs, i) => (done[i] ? [] : bs));
    logits = await step(live.map((b) => b.tokens[b.tokens.length - 1]!), live.map((b) => b.row));
    let r = 0;
    beams = beams.map((bs, i) => (done[i] ? [] : bs.map((b) => ({ ...b, row: r++ }))));
  }
  return hyps.map((h, i) => {
    if (!done[i]) for (const b of beams[i]!) h.add(b.tokens, b.score, b.tokens.length); // finalize
    // sorted ascending by score (stable), the last one is returned, as transformers pops it
    const sorted = h.beams.map((b, j) => ({ ...b, j })).sort((x, y) => x.score - y.score || x.j - y.j);
    const best = sorted[sorted.length - 1];
    if (!best) return [];
    return best.tokens.length < o.maxNewTokens ? [...best.tokens, o.eosTokenId] : best.tokens;
  });
}
