// Parameters and buffers: named, shaped tensors owned by a module. The data is filled by an initialiser
// (`initParameters`) or a checkpoint (`loadStateDict`); a graph refers to a Param and decides when it is built
// whether the value is baked in (initializer) or fed in (graph input, for training).
import { Diff2in1Error, type DType, type Rng, type Tensor } from '@diff2in1/tensor';

/** Anything that can name the params it owns by a dotted path (a Module). */
export interface ParamOwner {
  readonly path: string;
}

export type ParamKind = 'parameter' | 'buffer';

/** Makes a parameter's initial value (PyTorch's default initialiser for the layer). */
export type ParamInit = (shape: readonly number[], rng: Rng) => Tensor;

let creationCounter = 0;

export class Param {
  /** Creation order: initialisers run in this order, the order PyTorch constructs (and initialises) them in. */
  readonly seq = creationCounter++;
  readonly kind: ParamKind;
  readonly localName: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Differentiated by training graphs; false for buffers and frozen parameters. */
  requiresGrad: boolean;
  /** Buffers only: whether it appears in the state dict (PyTorch `register_buffer(persistent=...)`). */
  readonly persistent: boolean;
  /** Set by Module when the param is registered. */
  owner: ParamOwner | undefined;
  /** The initialiser `initParameters` runs (with an Rng forked by the param's full name). */
  init: ParamInit | undefined;
  private value: Tensor | undefined;

  constructor(kind: ParamKind, localName: string, dtype: DType, shape: readonly number[], opts: { persistent?: boolean; requiresGrad?: boolean; init?: ParamInit } = {}) {
    this.kind = kind;
    this.localName = localName;
    this.dtype = dtype;
    this.shape = Object.freeze([...shape]);
    this.requiresGrad = opts.requiresGrad ?? kind === 'parameter';
    this.persistent = opts.persistent ?? true;
    this.init = opts.init;
  }

  /** Full dotted name as in the upstream state_dict, e.g. `down_blocks.0.resnets.1.conv1.weight`. */
  get name(): string {
    const p = this.owner?.path ?? '';
    return p ? `${p}.${this.localName}` : this.localName;
  }

  get hasData(): boolean {
    return this.value !== undefined;
  }

  get data(): Tensor {
    if (!this.value) {
      throw new Diff2in1Error('graph', `${this.kind} '${this.name}' has no data yet: call initParameters(model, rng) or loadStateDict(model, source) first`);
    }
    return this.value;
  }

  set data(t: Tensor) {
    if (t.dtype !== this.dtype || t.shape.length !== this.shape.length || t.shape.some((d, i) => d !== this.shape[i])) {
      throw new Diff2in1Error('graph', `${this.kind} '${this.name}': expected ${this.dtype} [${this.shape.join(', ')}], got ${t.dtype} [${t.shape.join(', ')}]`);
    }
    this.value = t;
  }

  /** Drops the data (frees memory once a graph holding a copy has been serialised). */
  clear(): void {
    this.value = undefined;
  }
}
