"""A small byte-level BPE tokenizer in the GPT-2 / OPT `tokenizer.json` layout (the format the Hugging Face
`tokenizers` library writes and @huggingface/transformers reads), plus an independent decoder used to write the
expected caption text of the golden files.

Byte-level BPE as GPT-2 defines it: every byte is first mapped to a printable unicode character (the
`bytes_to_unicode` table: the printable Latin-1 bytes map to themselves, the other 68 bytes to U+0100..U+0143 in
byte order), words are split off with their leading space (which becomes "Ġ"), and merges join adjacent symbols
in rank order. Our vocabulary: the 256 byte symbols, then one token per merge, then the special tokens. Merges
spell out a fixed word list left to right ("Ġ"+"c" -> "Ġc", "Ġc"+"a" -> "Ġca", ...), so every listed word is one
token and anything else falls back to smaller pieces (down to single bytes) — a self-consistent tokenizer.
"""


def bytes_to_unicode():
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    table = {}
    extra = 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


WORDS = [
    "a", "an", "the", "room", "with", "red", "blue", "green", "yellow", "white", "box", "sphere", "cylinder",
    "cone", "cat", "dog", "on", "table", "floor", "wall", "sitting", "next", "to", "and", "of", "in", "small",
    "large", "picture", "kitchen", "bed", "chair",
]


def build_vocab(words=WORDS, specials=("<|endoftext|>",), leading_specials=()):
    """Returns (vocab: token -> id, merges: list of (left, right), special ids: token -> id).

    `leading_specials` get the first ids (OPT puts <s>, <pad>, </s>, <unk> at 0..3); `specials` come last
    (GPT-2 puts <|endoftext|> last)."""
    b2u = bytes_to_unicode()
    tokens = list(leading_specials) + [b2u[b] for b in range(256)]
    merges = []
    seen = set(tokens)
    for w in words:
        for spelled in ("Ġ" + w, w):
            cur = spelled[0]
            for ch in spelled[1:]:
                nxt = cur + ch
                if nxt not in seen:
                    merges.append((cur, ch))
                    tokens.append(nxt)
                    seen.add(nxt)
                cur = nxt
    for s in specials:
        tokens.append(s)
    vocab = {t: i for i, t in enumerate(tokens)}
    special_ids = {s: vocab[s] for s in list(leading_specials) + list(specials)}
    return vocab, merges, special_ids


def tokenizer_json(vocab, merges, special_ids, post_bos=None):
    """The `tokenizer.json` object: ByteLevel pre-tokenizer/decoder, BPE model, special tokens as added tokens.
    `post_bos`: a token prepended by the post-processor (OPT prepends </s>); None for GPT-2."""
    added = [
        {"id": i, "content": s, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
        for s, i in sorted(special_ids.items(), key=lambda kv: kv[1])
    ]
    if post_bos is None:
        post = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    else:
        bos_id = special_ids[post_bos]
        post = {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": post_bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [
                {"SpecialToken": {"id": post_bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": post_bos, "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}},
            ],
            "special_tokens": {post_bos: {"id": post_bos, "ids": [bos_id], "tokens": [post_bos]}},
        }
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": post,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {
            "type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
            "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
            "vocab": vocab, "merges": [f"{a} {b}" for a, b in merges],
        },
    }


def decode(ids, vocab, special_ids):
    """Independent byte-level decode: drop special ids, join token strings, map symbols back to bytes, UTF-8."""
    inv = {i: t for t, i in vocab.items()}
    u2b = {u: b for b, u in bytes_to_unicode().items()}
    specials = set(special_ids.values())
    text = "".join(inv[i] for i in ids if i not in specials)
    return bytes(u2b[c] for c in text).decode("utf-8", errors="replace")


def encode(text, vocab, merges):
    """Independent byte-level BPE encode (no special tokens): split into words with their leading space (GPT-2's
    pre-tokenizer on plain lowercase words and spaces), map bytes to symbols, then repeatedly apply the
    lowest-ranked merge present."""
    import re
    b2u = bytes_to_unicode()
    ranks = {m: i for i, m in enumerate(merges)}
    ids = []
    for word in re.findall(r" ?[^\s]+|\s+", text):
        symbols = [b2u[b] for b in word.encode("utf-8")]
        while len(symbols) > 1:
            pairs = [(ranks.get((a, b), 1 << 30), i) for i, (a, b) in enumerate(zip(symbols, symbols[1:]))]
            rank, i = min(pairs)
            if rank == 1 << 30:
                break
            symbols[i:i + 2] = [symbols[i] + symbols[i + 1]]
        ids.extend(vocab[s] for s in symbols)
    return ids
