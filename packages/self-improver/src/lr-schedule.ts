// Learning-rate schedules for the training stages (`lr` may be a function of the 0-based iteration).
// oneCycleLr is Bae et al.'s own schedule for their normal head (surface_normal_uncertainty/train.py:
// torch.optim.lr_scheduler.OneCycleLR with max_lr 0.000357, div_factor 25, final_div_factor 1e4, the default
// pct_start 0.3 and cosine annealing, two phases): warm up from max/div to max over the first pct_start of the run,
// then anneal down to max/(div·final_div) at the last step. Checked against torch 1.13 on a golden.
import { Diff2in1Error } from '@diff2in1/tensor';

export interface OneCycleOptions {
  /** Iterations of the whole run (torch's total_steps). */
  total: number;
  maxLr: number;
  divFactor?: number;
  finalDivFactor?: number;
  pctStart?: number;
}

/** Bae et al.'s train.py defaults. */
export const BAE_ONE_CYCLE = { divFactor: 25, finalDivFactor: 1e4, pctStart: 0.3 } as const;

const cosineAnneal = (start: number, end: number, pct: number): number => end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);

/** The learning rate of iteration i (0-based), as torch's OneCycleLR gives it after i scheduler steps. */
export function oneCycleLr(o: OneCycleOptions): (iteration: number) => number {
  const { total, maxLr } = o;
  const div = o.divFactor ?? BAE_ONE_CYCLE.divFactor, finalDiv = o.finalDivFactor ?? BAE_ONE_CYCLE.finalDivFactor, pct = o.pctStart ?? BAE_ONE_CYCLE.pctStart;
  if (!Number.isInteger(total) || total < 2) throw new Diff2in1Error('self-improver', `oneCycleLr: total must be an integer ≥ 2 (got ${total})`);
  if (!(maxLr > 0) || !(div > 0) || !(finalDiv > 0)) throw new Diff2in1Error('self-improver', `oneCycleLr: maxLr, divFactor and finalDivFactor must be > 0`);
  if (!(pct > 0 && pct < 1)) throw new Diff2in1Error('self-improver', `oneCycleLr: pctStart must lie in (0, 1) (got ${pct})`);
  const initial = maxLr / div, min = initial / finalDiv;
  // torch: phase ends at float(pct_start · total) − 1 and total − 1; pct within a phase is linear in the step.
  const warmEnd = pct * total - 1, lastEnd = total - 1;
  return (i: number) => {
    if (!(i >= 0) || i >= total) throw new Diff2in1Error('self-improver', `oneCycleLr: iteration ${i} is outside the schedule of ${total} iterations`);
    if (i <= warmEnd) return cosineAnneal(initial, maxLr, i / warmEnd);
    return cosineAnneal(maxLr, min, (i - warmEnd) / (lastEnd - warmEnd));
  };
}
