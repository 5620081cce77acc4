// Modules: trees of named parameters, buffers and child modules whose dotted paths are the upstream
// state_dict keys (`down_blocks.0.resnets.1.conv1.weight`). A module builds graph nodes in its `forward`;
// the graph decides whether a parameter becomes an initializer or an input (see GraphBuilder.param).
import { Diff2in1Error, type DType, type Tensor } from '@diff2in1/tensor';
import type { GraphBuilder, Value } from '../ir/graph.js';
import { Param, type ParamInit, type ParamOwner } from '../ir/param.js';

export class Module implements ParamOwner {
  #parent: Module | undefined;
  #name = '';
  readonly #params = new Map<string, Param>();
  readonly #children = new Map<string, Module>();
  #training = true;

  /** Dotted path from the root module ('' for the root). */
  get path(): string {
    if (!this.#parent) return '';
    const p = this.#parent.path;
    return p ? `${p}.${this.#name}` : this.#name;
  }

  /** The name under which the parent registered this module ('' for the root). */
  get localName(): string {
    return this.#name;
  }

  get training(): boolean {
    return this.#training;
  }

  private checkName(name: string): void {
    if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Diff2in1Error('graph', `${this.constructor.name}: invalid member name '${name}' (letters, digits, _)`);
    if (this.#params.has(name) || this.#children.has(name)) throw new Diff2in1Error('graph', `${this.constructor.name}: '${name}' is registered twice`);
  }

  /** torch `register_parameter`: a trainable tensor initialised by `init` (see initParameters). */
  protected registerParameter(name: string, shape: readonly number[], init: ParamInit, opts: { dtype?: DType; requiresGrad?: boolean } = {}): Param {
    this.checkName(name);
    const p = new Param('parameter', name, opts.dtype ?? 'float32', shape, { init, requiresGrad: opts.requiresGrad ?? true });
    p.owner = this;
    this.#params.set(name, p);
    return p;
  }

  /** torch `register_buffer`: state that is not trained (running stats), starting at `value`. */
  protected registerBuffer(name: string, value: Tensor, opts: { persistent?: boolean } = {}): Param {
    this.checkName(name);
    const p = new Param('buffer', name, value.dtype, value.shape, { persistent: opts.persistent ?? true });
    p.owner = this;
    p.data = value;
    this.#params.set(name, p);
    return p;
  }

  /** torch `add_module`: registers a child under `name` and returns it. */
  addModule<M extends Module>(name: string, m: M): M {
    this.checkName(name);
    if (m.#parent) throw new Diff2in1Error('graph', `module ${m.constructor.name} is already registered as '${m.path}'`);
    m.#parent = this;
    m.#name = name;
    this.#children.set(name, m);
    return m;
  }

  /** Direct children in registration order. */
  children(): [string, Module][] {
    return [...this.#children.entries()];
  }

  /** This module and all descendants with their paths, depth first (torch `named_modules`). */
  namedModules(): [string, Module][] {
    const out: [string, Module][] = [[this.path, this]];
    for (const [, c] of this.#children) out.push(...c.namedModules());
    return out;
  }

  /** Own params/buffers, then children's (torch's order). */
  private collect(pred: (p: Param) => boolean): Map<string, Param> {
    const out = new Map<string, Param>();
    for (const [, m] of this.namedModules()) for (const p of m.#params.values()) if (pred(p)) out.set(p.name, p);
    return out;
  }

  /** torch `named_parameters`: full dotted name → Param. */
  namedParameters(): Map<string, Param> {
    return this.collect((p) => p.kind === 'parameter');
  }

  namedBuffers(): Map<string, Param> {
    return this.collect((p) => p.kind === 'buffer');
  }

  /** The entries of torch's `state_dict()`: parameters and persistent buffers, by full name. */
  stateEntries(): Map<string, Param> {
    return this.collect((p) => p.kind === 'parameter' || p.persistent);
  }

  /** Sets training mode here and below (BatchNorm uses batch statistics and updates running stats). */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.#training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Marks every parameter here and below as trainable or frozen. */
  requiresGrad(flag = true): this {
    for (const p of this.namedParameters().values()) p.requiresGrad = flag;
    return this;
  }

  /** Runs `fn` with graph nodes named under this module's path, as torch.onnx does (`/down_blocks.0/conv1/Conv`). */
  protected scoped<T>(g: GraphBuilder | Value, fn: () => T): T {
    const graph = 'graph' in g ? g.graph : g;
    return graph.atScope(scopeSegments(this.path), fn);
  }
}

/** 'down_blocks.0.resnets.1.conv1' → ['down_blocks.0', 'resnets.1', 'conv1'] (torch.onnx scope names). */
export function scopeSegments(path: string): string[] {
  const out: string[] = [];
  for (const part of path ? path.split('.') : []) {
    if (/^\d+$/.test(part) && out.length) out[out.length - 1] += `.${part}`;
    else out.push(part);
  }
  return out;
}

/** A module mapping one tensor to one tensor (what Sequential chains). */
export interface UnaryModule extends Module {
  forward(x: Value): Value;
}
