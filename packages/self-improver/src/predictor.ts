// Sessions over the perception graphs whose parameters are inputs: one compiled session, any parameter set.
import { type Session, type SessionOptions, createSession } from '@diff2in1/runtime';
import type { Predictions, StepFeed } from '@diff2in1/heads';
import { type Rng, Tensor } from '@diff2in1/tensor';
import type { PerceptionModel } from './perception.js';

/** Feeds of `state` that the session reads (a state holds more entries than an eval graph reads). */
function stateFeeds(session: Session, state: Readonly<Record<string, Tensor>>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const n of session.inputNames) if (state[n]) out[n] = state[n];
  return out;
}

/** Dense predictions ('eval' build) of a parameter set on tap features. */
export class Predictor {
  private constructor(readonly model: PerceptionModel, private readonly session: Session) {}

  static async create(model: PerceptionModel, opts: SessionOptions = {}): Promise<Predictor> {
    return new Predictor(model, await createSession(model.inferenceModel(), { ...opts, name: opts.name ?? 'perception (eval)' }));
  }

  /** Raw head outputs for features `taps` (`tap.<module>` → [B, C, h, w]) under parameter set `state`. */
  async outputs(state: Readonly<Record<string, Tensor>>, taps: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
    return this.session.run({ ...stateFeeds(this.session, state), ...taps });
  }

  /** Task predictions (the head's postprocess). */
  async predict(state: Readonly<Record<string, Tensor>>, taps: Readonly<Record<string, Tensor>>): Promise<Predictions> {
    return this.model.head.postprocess(await this.outputs(state, taps));
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/**
 * The official pseudo-labelling forward (see PerceptionModel.labelModel): θC's modules in eval mode, the head built
 * in 'train' mode at a static batch with its random draws and a valid mask as inputs.
 */
export class Labeler {
  private constructor(readonly model: PerceptionModel, readonly batch: number, private readonly session: Session, private readonly feeds: StepFeed[]) {}

  static async create(model: PerceptionModel, batch: number, opts: SessionOptions = {}): Promise<Labeler> {
    const { bytes, feeds } = model.labelModel(batch);
    return new Labeler(model, batch, await createSession(bytes, { ...opts, name: opts.name ?? 'perception (pseudo-labels)' }), feeds);
  }

  /** Predictions of `state` with the head's random draws from `rng`; `valid` masks per task [B, 1, H, W] (default all valid). */
  async predict(state: Readonly<Record<string, Tensor>>, taps: Readonly<Record<string, Tensor>>, rng: Rng, valid?: Readonly<Record<string, Tensor>>): Promise<Predictions> {
    const [h, w] = this.model.image;
    const feeds: Record<string, Tensor> = { ...stateFeeds(this.session, state), ...taps };
    for (const t of this.model.tasks) {
      feeds[`valid.${t}`] = valid?.[`valid.${t}`] ?? new Tensor('float32', [this.batch, 1, h, w], new Float32Array(this.batch * h * w).fill(1));
    }
    for (const f of this.feeds) feeds[f.name] = f.sample(rng);
    return this.model.head.postprocess(await this.session.run(feeds));
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
