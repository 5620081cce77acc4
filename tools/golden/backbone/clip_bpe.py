"""CLIP BPE helpers for the backbone golden files: small vocabularies derived from openai/CLIP's merges list,
written in the diffusers `tokenizer/` layout, and reference token ids from openai/CLIP's simple_tokenizer.py.

openai/CLIP (MIT licence) ships the merges as clip/bpe_simple_vocab_16e6.txt.gz: a header line, then merges in
rank order. Its vocabulary is the 256 byte symbols, the same 256 with "</w>", one token per merge, then
<|startoftext|> and <|endoftext|> (simple_tokenizer.SimpleTokenizer.__init__). Keeping only the first N merges
gives a smaller vocabulary that is still self-consistent (every merge only uses symbols made by earlier ones)
and whose ids agree with the full CLIP vocabulary for every kept token; only the two special ids move
(to 512 + N and 513 + N).
"""
import gzip
import importlib.util
import json
import os
import sys
import tempfile
import types


def read_merges(clip_dir):
    with gzip.open(os.path.join(clip_dir, "clip", "bpe_simple_vocab_16e6.txt.gz")) as f:
        lines = f.read().decode("utf-8").split("\n")
    return lines[0], [tuple(l.split()) for l in lines[1:49152 - 256 - 2 + 1]]


def load_simple_tokenizer_module(clip_dir):
    """Imports clip/simple_tokenizer.py with `ftfy` shimmed as identity (ftfy is not installable here; the
    prompts used are already NFC and free of mojibake, so ftfy.fix_text would return them unchanged)."""
    saved = sys.modules.get("ftfy")
    sys.modules["ftfy"] = types.SimpleNamespace(fix_text=lambda s: s)
    try:
        spec = importlib.util.spec_from_file_location("clip_simple_tokenizer", os.path.join(clip_dir, "clip", "simple_tokenizer.py"))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    finally:
        # Leave no fake module behind (diffusers probes for ftfy with importlib.util.find_spec).
        if saved is None:
            del sys.modules["ftfy"]
        else:
            sys.modules["ftfy"] = saved
    return mod


def write_tokenizer_folder(clip_dir, n_merges, out_dir, tokenizer_config=None, special_tokens_map=None):
    """Writes vocab.json + merges.txt (diffusers/transformers layout) for the first `n_merges` CLIP merges and
    returns (SimpleTokenizer over the same merges, vocab)."""
    st = load_simple_tokenizer_module(clip_dir)
    header, merges = read_merges(clip_dir)
    merges = merges[:n_merges]
    byte_symbols = list(st.bytes_to_unicode().values())
    vocab = byte_symbols + [s + "</w>" for s in byte_symbols] + ["".join(m) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    assert len(set(vocab)) == len(vocab), "derived vocabulary has duplicates"
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump({t: i for i, t in enumerate(vocab)}, f, ensure_ascii=False, separators=(",", ":"))
    with open(os.path.join(out_dir, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges))
    for name, obj in (("tokenizer_config.json", tokenizer_config), ("special_tokens_map.json", special_tokens_map)):
        if obj is not None:
            with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
                json.dump(obj, f, indent=2, ensure_ascii=False)
                f.write("\n")
    # openai's tokenizer over exactly these merges: it reads a gz whose first line is a header.
    with tempfile.NamedTemporaryFile(suffix=".txt.gz", delete=False) as tmp:
        tmp.write(gzip.compress((header + "\n" + "\n".join(" ".join(m) for m in merges)).encode("utf-8")))
    tok = st.SimpleTokenizer(bpe_path=tmp.name)
    os.unlink(tmp.name)
    assert len(tok.encoder) == len(vocab) and all(tok.encoder[t] == i for i, t in enumerate(vocab))
    return tok, vocab


def prompt_ids(tok, text, context_length=77):
    """SD's ids for one prompt computed with openai's tokenizer: [SOT] + bpe + [EOT], truncated as
    clip.tokenize(truncate=True) (first context_length tokens, last one forced to EOT), padded with EOT as SD v1-5
    pads (openai's clip.tokenize pads with 0 instead)."""
    sot, eot = tok.encoder["<|startoftext|>"], tok.encoder["<|endoftext|>"]
    ids = [sot] + tok.encode(text) + [eot]
    if len(ids) > context_length:
        ids = ids[:context_length]
        ids[-1] = eot
    return ids + [eot] * (context_length - len(ids))


# Awkward prompts: case, punctuation runs, repeated / unusual whitespace, apostrophe contractions, digits,
# accented and non-Latin letters, emoji (multi-byte BPE), a literal special token, and prompts at and over the
# 77-token limit. All NFC; none contains an HTML entity (openai's tokenizer html-unescapes, transformers' does not).
PROMPTS = [
    "",
    "a photo of a cat",
    "A PHOTO of a CAT",
    "  leading and   repeated   spaces  ",
    "tabs\tand\nnew lines\r\nmixed",
    "non\u00a0breaking\u2003spaces",
    "don't you're we've I'm they'll she'd it's DON'T",
    "rock'n'roll o'clock 'quoted'",
    "punctuation!!! ... ?!? (parens) [brackets] {braces} <angle> @#$%^&*_+=~`|\\/",
    "numbers 1234567890 3.14159 1,000,000 2nd 42nd",
    "mixed123abc abc123 x86_64",
    "caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u00dcber stra\u00dfe",
    "\u6771\u4eac\u30bf\u30ef\u30fc \uc11c\uc6b8 \u041c\u043e\u0441\u043a\u0432\u0430",
    "emoji \U0001f431\U0001f680 \u2764\ufe0f \U0001f44d\U0001f3fd",
    "hello<|endoftext|>world",
    "\uff26\uff35\uff2c\uff2c\uff37\uff29\uff24\uff34\uff28 \uff54\uff45\uff58\uff54",
    "\u01c5 titlecase \u0130stanbul",
    "3d render, 8k, ultra-detailed, trending on artstation, by greg rutkowski",
    " ".join(["a"] * 75),
    " ".join(["a"] * 76),
    " ".join(["a"] * 100),
    "an indoor scene of a cluttered living room with a grey sofa, two wooden chairs, a glass coffee table, "
    "bookshelves full of books, a television, potted plants by the window, framed paintings on the walls, "
    "a rug on the floor, warm evening light, highly detailed photograph",
]
