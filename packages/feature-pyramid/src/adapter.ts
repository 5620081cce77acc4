// One entry point for the adapters: the paper's Eq. 9 / Eq. 10 pyramid ('eq9', over any taps, e.g. `vpd`) or the
// official code's SNmodule ('sn-module', over the `all` taps), configured by the taps that come in and the levels
// the head asks for.
import { Diff2in1Error, choices } from '@diff2in1/tensor';
import { Eq9Pyramid, type Eq9Block } from './eq9-pyramid.js';
import type { PyramidRequest, TapSpec } from './levels.js';
import { SNModule, snChannelsFor } from './sn-module.js';

export const ADAPTER_KINDS = ['eq9', 'sn-module'] as const;
export type AdapterKind = (typeof ADAPTER_KINDS)[number];

export interface AdapterOptions {
  kind?: AdapterKind;
  /** eq9: the fusing block ('conv-gn-relu' by default). */
  block?: Eq9Block;
  /** eq9: channels of processed levels the head does not ask for. */
  width?: number;
  /** eq9: kernel of the fusing convolutions (3). */
  kernelSize?: number;
  /** sn-module: channels of the `highest` mix (upstream: equal to `high`, 64). */
  highestChannels?: number;
  /** sn-module: seed of the SNConv2d u0 vectors. */
  seed?: number;
}

export type PyramidAdapter = Eq9Pyramid | SNModule;

/** Builds the adapter that turns `taps` into the levels of `request` (see each adapter for its naming). */
export function createAdapter(taps: readonly TapSpec[], request: PyramidRequest, o: AdapterOptions = {}): PyramidAdapter {
  const kind = o.kind ?? 'eq9';
  if (kind === 'eq9') return new Eq9Pyramid({ taps, request, block: o.block, width: o.width, kernelSize: o.kernelSize });
  if (kind === 'sn-module') return new SNModule({ taps, channels: snChannelsFor(taps, request, o.highestChannels), seed: o.seed });
  throw new Diff2in1Error('feature-pyramid', `adapter kind '${String(kind)}' is unknown; ${choices(ADAPTER_KINDS)}`);
}
