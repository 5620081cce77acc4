"""transformers' beam search (generation/utils.py beam_search with BeamSearchScorer / BeamHypotheses) for a BLIP-2
built from plain torch modules, used by make_tiny_blip2.py to write the expected beam-search captions."""
import torch


def beam_search(model, proj, bos, eos, num_beams, max_new, length_penalty=1.0, dtype=torch.float32):
    """transformers' beam_search + BeamSearchScorer (early_stopping False, one returned sequence), written as its
    tensor code is: top 2·num_beams over num_beams × vocab log-softmax sums, eos candidates ranked within the
    first num_beams become hypotheses scored sum / generated_len^length_penalty (generated_len excludes eos),
    is_done compares the best candidate at the current length with the worst kept hypothesis, finalize adds the
    running beams. The language model is recomputed on the whole sequence each step (no cache)."""
    embed = model.language_model.model.decoder.embed_tokens
    prefix = torch.cat([proj, embed(torch.tensor([[bos]]))], dim=1).repeat(num_beams, 1, 1)
    input_ids = torch.zeros((num_beams, 0), dtype=torch.long)
    beam_scores = torch.zeros(num_beams, dtype=dtype)
    beam_scores[1:] = -1e9
    hyps, worst, done, cur_len = [], 1e9, False, 0

    def add(tokens, sum_logprobs, generated_len):
        nonlocal worst
        score = sum_logprobs / (generated_len ** length_penalty)
        if len(hyps) < num_beams or score > worst:
            hyps.append((score, tokens))
            if len(hyps) > num_beams:
                order = sorted([(s, i) for i, (s, _) in enumerate(hyps)])
                del hyps[order[0][1]]
                worst = order[1][0]
            else:
                worst = min(score, worst)

    with torch.no_grad():
        while True:
            logits = model.language_model(torch.cat([prefix, embed(input_ids)], dim=1))[:, -1, :].to(dtype)
            scores = torch.log_softmax(logits, dim=-1) + beam_scores[:, None]
            vocab = scores.shape[-1]
            top_scores, top = torch.topk(scores.view(1, -1), 2 * num_beams, dim=1, largest=True, sorted=True)
            nxt_scores, nxt_tokens, nxt_idx = [], [], []
            for rank in range(2 * num_beams):
                tok, sc, bi = int(top[0, rank]) % vocab, float(top_scores[0, rank]), int(top[0, rank]) // vocab
                if tok == eos:
                    if rank >= num_beams:
                        continue
                    add(input_ids[bi].tolist(), sc, cur_len)
                else:
                    nxt_scores.append(sc)
                    nxt_tokens.append(tok)
                    nxt_idx.append(bi)
                if len(nxt_tokens) == num_beams:
                    break
            if len(hyps) >= num_beams:
                done = done or worst >= float(top_scores.max()) / (cur_len ** length_penalty)
            beam_scores = torch.tensor(nxt_scores, dtype=dtype)
            input_ids = torch.cat([input_ids[nxt_idx], torch.tensor(nxt_tokens)[:, None]], dim=1)
            cur_len += 1
            if done or cur_len >= max_new:
                break
    if not done:
        for b in range(num_beams):
            add(input_ids[b].tolist(), float(beam_scores[b]), cur_len)
    best = sorted(hyps, key=lambda x: x[0])[-1][1]
    return best + [eos] if len(best) < max_new else best
