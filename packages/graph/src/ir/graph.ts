// The graph IR and its builder. A GraphBuilder collects nodes in creation order (which is therefore a
// topological order), symbolic values with dtype and shape, inputs, initializers and outputs. Ops are free
// functions over Values (`ops/*.ts`); each Value knows its graph, so ops need no builder argument.
import { Diff2in1Error, type DType, Tensor, float32ToFloat16Bits, tensor } from '@diff2in1/tensor';
import type { Param } from './param.js';
import { type Dim, type Shape, fmtShape, graphError, isStatic } from './shape.js';

export type Attr =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'tensor'; readonly value: Tensor }
  | { readonly kind: 'graph'; readonly value: GraphBuilder };

/** Attribute constructors: ONNX distinguishes int and float attributes, JavaScript numbers do not. */
export const attr = {
  int: (value: number): Attr => ({ kind: 'int', value }),
  float: (value: number): Attr => ({ kind: 'float', value }),
  string: (value: string): Attr => ({ kind: 'string', value }),
  ints: (value: readonly number[]): Attr => ({ kind: 'ints', value: [...value] }),
  floats: (value: readonly number[]): Attr => ({ kind: 'floats', value: [...value] }),
  tensor: (value: Tensor): Attr => ({ kind: 'tensor', value }),
  graph: (value: GraphBuilder): Attr => ({ kind: 'graph', value }),
};

export type Attrs = Readonly<Record<string, Attr>>;

/**
 * A vector-Jacobian product: given the gradients of a node's outputs (undefined where no gradient flows),
 * return the gradients of its inputs (undefined where none is needed or defined).
 */
export type VjpRule = (node: Node, dOutputs: readonly (Value | undefined)[], needed: readonly boolean[]) => readonly (Value | undefined)[];

export interface Node {
  readonly id: number;
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly inputs: readonly (Value | null)[];
  readonly outputs: readonly Value[];
  readonly attrs: Attrs;
  readonly graph: GraphBuilder;
  /** Gradient rule for this node, overriding the registry's rule for its op type; 'none' stops gradients. */
  readonly vjp?: VjpRule | 'none';
}

export type ValueSource =
  | { readonly kind: 'input'; readonly param?: Param }
  | { readonly kind: 'initializer'; readonly tensor: Tensor; readonly param?: Param }
  | { readonly kind: 'node'; readonly node: Node; readonly index: number };

/** A symbolic tensor: the output of a node, a graph input or an initializer. */
export class Value {
  constructor(
    readonly graph: GraphBuilder,
    readonly id: number,
    private valueName: string,
    readonly dtype: DType,
    readonly shape: Shape,
    readonly source: ValueSource,
  ) {}

  get name(): string {
    return this.valueName;
  }

  get rank(): number {
    return this.shape.length;
  }

  get producer(): Node | undefined {
    return this.source.kind === 'node' ? this.source.node : undefined;
  }

  /** The value when it is known while building (initializers), else undefined. */
  get constant(): Tensor | undefined {
    return this.source.kind === 'initializer' ? this.source.tensor : undefined;
  }

  /** @internal used by GraphBuilder.output */
  rename(name: string): void {
    this.valueName = name;
  }

  toString(): string {
    return `${this.name}: ${this.dtype} ${fmtShape(this.shape)}`;
  }
}

export type ParamBinding = 'initializer' | 'input';

export interface GraphBuilderOptions {
  /** How a module's Param becomes a graph value: baked-in initializer (default) or graph input (training). */
  params?: ParamBinding | ((p: Param) => ParamBinding);
  /** The enclosing graph, for Loop/If bodies; their nodes may read the enclosing graph's values. */
  parent?: GraphBuilder;
}

interface Shared {
  names: Set<string>;
  nextId: number;
}

export interface OutputSpec {
  readonly dtype: DType;
  readonly shape: Shape;
}

export class GraphBuilder {
  readonly name: string;
  readonly parent: GraphBuilder | undefined;
  readonly nodes: Node[] = [];
  readonly inputs: Value[] = [];
  readonly outputs: Value[] = [];
  readonly initializers: Value[] = [];
  /** New values for buffers (BatchNorm running stats) computed by this graph; training graphs output them. */
  readonly bufferUpdates = new Map<Param, Value>();
  /** Graph-level metadata (ModelProto.metadata_props). */
  readonly metadata = new Map<string, string>();
  private readonly paramMode: (p: Param) => ParamBinding;
  private readonly paramValues = new Map<Param, Value>();
  private readonly symbols = new Map<string, { value: Value; axis: number }>();
  private readonly constCache = new Map<string, Value>();
  private readonly shapeCache = new Map<string, Value>();
  private readonly scopes: string[] = [];
  private readonly shared: Shared;

  constructor(name: string, opts: GraphBuilderOptions = {}) {
    this.name = name;
    this.parent = opts.parent;
    const mode = opts.params ?? opts.parent?.paramMode ?? 'initializer';
    this.paramMode = typeof mode === 'function' ? mode : () => mode;
    this.shared = opts.parent ? opts.parent.shared : { names: new Set(), nextId: 0 };
  }

  /** A name not used anywhere in this graph or its enclosing/enclosed graphs. */
  uniqueName(base: string): string {
    let name = base;
    for (let i = 1; this.shared.names.has(name); i++) name = `${base}_${i}`;
    this.shared.names.add(name);
    return name;
  }

  private claim(name: string, what: string): void {
    if (this.shared.names.has(name)) throw new Diff2in1Error('graph', `graph '${this.name}': ${what} name '${name}' is already used`);
    this.shared.names.add(name);
  }

  private newValue(name: string, dtype: DType, shape: Shape, source: ValueSource): Value {
    for (const d of shape) {
      if (typeof d === 'number' ? !Number.isSafeInteger(d) || d < 0 : d.length === 0) {
        throw new Diff2in1Error('graph', `value '${name}': invalid dimension '${d}' in ${fmtShape(shape)}`);
      }
    }
    return new Value(this, this.shared.nextId++, name, dtype, Object.freeze([...shape]), source);
  }

  /** Declares a graph input. String dimensions are symbols fixed when the graph runs. */
  input(name: string, dtype: DType, shape: Shape): Value {
    this.claim(name, 'input');
    const v = this.newValue(name, dtype, shape, { kind: 'input' });
    this.inputs.push(v);
    this.recordSymbols(v);
    return v;
  }

  private recordSymbols(v: Value): void {
    v.shape.forEach((d, axis) => {
      if (typeof d === 'string' && !this.symbolSource(d)) this.symbols.set(d, { value: v, axis });
    });
  }

  private symbolSource(sym: string): { value: Value; axis: number } | undefined {
    return this.symbols.get(sym) ?? this.parent?.symbolSource(sym);
  }

  /** A constant tensor (an initializer). Small constants are shared between uses. */
  constant(t: Tensor, name?: string): Value {
    const key = name === undefined && t.size <= 16 ? `${t.dtype}|${t.shape.join(',')}|${Array.from(t.data as ArrayLike<number | bigint>, String).join(',')}` : undefined;
    const hit = key === undefined ? undefined : this.constCache.get(key);
    if (hit) return hit;
    if (name !== undefined) this.claim(name, 'initializer');
    const v = this.newValue(name ?? this.uniqueName('const'), t.dtype, t.shape, { kind: 'initializer', tensor: t });
    this.initializers.push(v);
    if (key !== undefined) this.constCache.set(key, v);
    return v;
  }

  /** A scalar constant of a floating or integer dtype. */
  scalar(value: number, dtype: DType = 'float32'): Value {
    if (dtype === 'int64') return this.constant(tensor('int64', [], [BigInt(value)]));
    // float16 tensors hold bit patterns, so the number is converted, not stored as is.
    if (dtype === 'float16') return this.constant(tensor('float16', [], [float32ToFloat16Bits(value)]));
    return this.constant(tensor(dtype, [], [value]));
  }

  /** A 1-D int64 constant (axes, pads, shapes for ONNX ops that take them as inputs). */
  int64s(values: readonly number[]): Value {
    return this.constant(tensor('int64', [values.length], values.map((x) => BigInt(x))));
  }

  /** The graph value of a module's parameter or buffer, created on first use per the binding mode. */
  param(p: Param): Value {
    const bound = this.paramValues.get(p) ?? this.parent?.lookupParam(p);
    if (bound) return bound;
    // Initializers live in the top-level graph, so Loop bodies share them instead of copying them.
    if (this.parent && this.paramMode(p) === 'initializer') return this.parent.param(p);
    let v: Value;
    if (this.paramMode(p) === 'input') {
      this.claim(p.name, 'parameter input');
      v = this.newValue(p.name, p.dtype, p.shape, { kind: 'input', param: p });
      this.inputs.push(v);
    } else {
      this.claim(p.name, 'initializer');
      v = this.newValue(p.name, p.dtype, p.shape, { kind: 'initializer', tensor: p.data, param: p });
      this.initializers.push(v);
    }
    this.paramValues.set(p, v);
    return v;
  }

  private lookupParam(p: Param): Value | undefined {
    return this.paramValues.get(p) ?? this.parent?.lookupParam(p);
  }

  /** Makes `p` read as `v` in this graph (loop-carried parameters, parameters computed by another graph). */
  bindParam(p: Param, v: Value): void {
    if (this.paramValues.has(p)) throw new Diff2in1Error('graph', `graph '${this.name}': ${p.kind} '${p.name}' is already bound`);
    if (v.dtype !== p.dtype || v.shape.length !== p.shape.length || v.shape.some((d, i) => d !== p.shape[i])) {
      throw new Diff2in1Error('graph', `bindParam '${p.name}': expected ${p.dtype} ${fmtShape(p.shape)}, got ${v}`);
    }
    this.paramValues.set(p, v);
  }

  /** Params used by this graph so far, in first-use order. */
  get boundParams(): ReadonlyMap<Param, Value> {
    return this.paramValues;
  }

  /** Records the new value of a buffer (e.g. BatchNorm running_mean in training mode). */
  setBuffer(p: Param, v: Value): void {
    this.bufferUpdates.set(p, v);
  }

  /** Runs `fn` with node names prefixed by `/name` (module scopes, like torch.onnx's `/down_blocks.0/...`). */
  scope<T>(name: string, fn: () => T): T {
    this.scopes.push(name);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  /** Runs `fn` with the scope stack replaced by `segments` (a module's absolute path). */
  atScope<T>(segments: readonly string[], fn: () => T): T {
    const saved = this.scopes.splice(0, this.scopes.length, ...segments);
    try {
      return fn();
    } finally {
      this.scopes.splice(0, this.scopes.length, ...saved);
    }
  }

  /** The scope path used in node names, e.g. `/down_blocks.0/resnets.1`. */
  get scopePath(): string {
    return this.scopes.map((s) => `/${s}`).join('');
  }

  /** Appends a node and returns its outputs. Ops call this after checking inputs and inferring output specs. */
  node(opType: string, inputs: readonly (Value | null)[], attrs: Attrs, outputs: readonly OutputSpec[], opts: { domain?: string; vjp?: VjpRule | 'none' } = {}): Value[] {
    for (const v of inputs) {
      if (v && !this.canRead(v)) throw graphError(opType, `input ${v} belongs to graph '${v.graph.name}', which is not '${this.name}' or one enclosing it`);
    }
    const name = this.uniqueName(`${this.scopePath}/${opType}`);
    const outs: Value[] = [];
    const node: Node = { id: this.shared.nextId++, name, opType, domain: opts.domain ?? '', inputs: [...inputs], outputs: outs, attrs, graph: this, ...(opts.vjp ? { vjp: opts.vjp } : {}) };
    outputs.forEach((o, index) => outs.push(this.newValue(this.uniqueName(`${name}_output_${index}`), o.dtype, o.shape, { kind: 'node', node, index })));
    this.nodes.push(node);
    return outs;
  }

  /** `node` for single-output ops. */
  node1(opType: string, inputs: readonly (Value | null)[], attrs: Attrs, output: OutputSpec, opts: { domain?: string; vjp?: VjpRule | 'none' } = {}): Value {
    return this.node(opType, inputs, attrs, [output], opts)[0]!;
  }

  private canRead(v: Value): boolean {
    return isWithin(this, v.graph);
  }

  /** Declares `v` as a graph output called `name` (renaming it when possible, else via Identity). */
  output(name: string, v: Value): Value {
    if (v.graph !== this) throw new Diff2in1Error('graph', `output '${name}': ${v} belongs to graph '${v.graph.name}', not '${this.name}'`);
    if (v.name === name && this.outputs.includes(v)) throw new Diff2in1Error('graph', `output '${name}' is declared twice`);
    if (v.source.kind === 'node' && !this.outputs.includes(v) && v.name !== name) {
      this.claim(name, 'output');
      this.shared.names.delete(v.name);
      v.rename(name);
      this.outputs.push(v);
      return v;
    }
    if (v.source.kind === 'node' && v.name === name) {
      this.outputs.push(v);
      return v;
    }
    const out = this.node1('Identity', [v], {}, { dtype: v.dtype, shape: v.shape });
    this.claim(name, 'output');
    this.shared.names.delete(out.name);
    out.rename(name);
    this.outputs.push(out);
    return out;
  }

  /** A 1-D int64 tensor holding `dims`; symbolic dimensions are read at run time with Shape. */
  shapeOf(dims: Shape): Value {
    if (isStatic(dims)) return this.int64s(dims);
    const key = dims.join(',');
    const hit = this.shapeCache.get(key);
    if (hit) return hit;
    const parts: Value[] = [];
    let run: number[] = [];
    const flush = (): void => {
      if (run.length) parts.push(this.int64s(run));
      run = [];
    };
    for (const d of dims) {
      if (typeof d === 'number') {
        run.push(d);
        continue;
      }
      flush();
      const src = this.symbolSource(d);
      if (!src) throw new Diff2in1Error('graph', `graph '${this.name}': symbolic dimension '${d}' is not a dimension of any graph input`);
      parts.push(this.node1('Shape', [src.value], { start: attr.int(src.axis), end: attr.int(src.axis + 1) }, { dtype: 'int64', shape: [1] }));
    }
    flush();
    const v = parts.length === 1 ? parts[0]! : this.node1('Concat', parts, { axis: attr.int(0) }, { dtype: 'int64', shape: [dims.length] });
    this.shapeCache.set(key, v);
    return v;
  }

  /** Values that nodes of this graph read from enclosing graphs (Loop bodies). */
  outerReads(): Value[] {
    const seen = new Set<Value>();
    const visit = (g: GraphBuilder): void => {
      for (const n of g.nodes) {
        for (const v of n.inputs) if (v && !isWithin(v.graph, this)) seen.add(v);
        for (const a of Object.values(n.attrs)) if (a.kind === 'graph') visit(a.value);
      }
    };
    visit(this);
    return [...seen];
  }
}

function isWithin(g: GraphBuilder, root: GraphBuilder): boolean {
  for (let x: GraphBuilder | undefined = g; x; x = x.parent) if (x === root) return true;
  return false;
}

/** Shorthand used by ops: the dtype+shape of an output. */
export function spec(dtype: DType, shape: readonly Dim[]): OutputSpec {
  return { dtype, shape };
}

/** Checks that all values live in graphs that can see each other; returns the innermost graph. */
export function graphOf(op: string, ...values: readonly (Value | null | undefined)[]): GraphBuilder {
  let g: GraphBuilder | undefined;
  for (const v of values) {
    if (!v) continue;
    if (!g || isWithin(v.graph, g)) g = v.graph;
    else if (!isWithin(g, v.graph)) throw graphError(op, `inputs come from unrelated graphs '${g.name}' and '${v.graph.name}'`);
  }
  if (!g) throw graphError(op, 'needs at least one graph value as input');
  return g;
}

export { Tensor };
