"""Strings the tokenizer oracles encode: (text, parse_special). Shared by gen_vectors.py (Gemma 3, llama.cpp) and
gen_gemma4_bpe.py (Gemma 4 BPE, HF tokenizers). parse_special=False is content (markers are plain text),
True is template text."""
import json


def dump(doc):
    """JSON with one vector per line: readable diffs, a fraction of indent=1's size."""
    parts = []
    for k, v in doc.items():
        if isinstance(v, list) and v and isinstance(v[0], dict):
            body = ",\n".join("  " + json.dumps(e, ensure_ascii=False) for e in v)
            parts.append(f" {json.dumps(k)}: [\n{body}\n ]")
        else:
            parts.append(f" {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


LONG = (
    "Large language models are trained on text from many languages. A tokenizer splits that text into pieces: "
    "frequent words become single tokens, rare words are spelled out from smaller pieces, and characters the "
    "vocabulary has never seen fall back to their UTF-8 bytes. Gemma's vocabulary has 262144 entries, so most words "
    "in most languages are one or two tokens. Die Zerlegung funktioniert auch auf Deutsch, en français, en español, "
    "по-русски, 中文也可以，日本語もできます、한국어도 됩니다. Numbers like 3.14159 and 2026-11-27 are split into "
    "single digits.\n\nA second paragraph follows after a blank line.\n\n\n\nAnd a third after three blank lines.\n"
)

VECTORS = [
    ("Hello, world!", False),
    ("The answer is 42, not 43.5 or -1", False),
    ("Hello", False),
    ("hello world", False),
    (" leading space", False),
    ("trailing space ", False),
    ("  two leading spaces", False),
    ("a  b   c    d     e", False),
    (" ", False),
    ("  ", False),
    ("                                        ", False),
    ("\n", False),
    ("\n\n", False),
    ("\n\n\n", False),
    ("\n" * 40, False),
    ("line one\nline two\n\nline four\n\n\n\nline eight", False),
    ("ends with newline\n", False),
    ("\nstarts with newline", False),
    ("windows\r\nline\r\nendings", False),
    ("tab\tseparated\tvalues\t\t\tend", False),
    ("\t\t\tindented with tabs", False),
    ("    def f(x):\n        return x * 2\n", False),
    ("for (int i = 0; i < n; i++) { sum += a[i]; }", False),
    ('{"name": "gemma", "size": 270, "tags": ["small", "fast"], "ok": true, "none": null}', False),
    ("https://example.com/a/b?c=d&e=f#g", False),
    ("Der schnelle braune Fuchs springt über den faulen Hund.", False),
    ("Größe Übung Ärger Öl straße", False),
    ("Où est la bibliothèque ? Ça va très bien, merci.", False),
    ("¿Dónde está la estación? ¡Qué día tan bonito!", False),
    ("Быстрая коричневая лиса прыгает через ленивую собаку.", False),
    ("Η γρήγορη καφέ αλεπού πηδάει.", False),
    ("敏捷的棕色狐狸跳过了懒狗。", False),
    ("素早い茶色の狐が怠け者の犬を飛び越えます。", False),
    ("빠른 갈색 여우가 게으른 개를 뛰어넘습니다.", False),
    ("الثعلب البني السريع يقفز فوق الكلب الكسول.", False),
    ("השועל החום המהיר קופץ מעל הכלב העצלן.", False),
    ("तेज़ भूरी लोमड़ी आलसी कुत्ते के ऊपर कूदती है।", False),
    ("สุนัขจิ้งจอกสีน้ำตาลกระโดดข้ามสุนัขขี้เกียจ", False),
    ("Tiếng Việt có nhiều dấu: ắ ằ ẳ ẵ ặ ố ồ ổ ỗ ộ.", False),
    ("Emoji: 😀 😂 👍 🎉 ❤️ 🚀", False),
    ("👨‍👩‍👧‍👦 family, 👍🏽 skin tone, 🇫🇷 flag", False),
    ("🦜🪿🫠🧌", False),
    ("rare CJK: 𠜎𠜱𠝹𠱓 and 𝕄𝕒𝕥𝕙 letters", False),
    ("Math: ∑ x_i² = 1, ∫ f(x) dx, √2 ≈ 1.41421356, π ≈ 3.14159", False),
    ("Symbols © ® ™ € £ ¥ ° ± × ÷ § ¶ • … ‰", False),
    ("e\u0301 vs \u00e9 (decomposed vs composed)", False),
    ("zero\u200bwidth\u00a0nbsp\ufeffbom", False),
    ("control \u0001 chars \u007f here", False),
    ("a\u2581literal\u2581lower\u2581block", False),
    ("<table><tr><td>1</td><td>2</td></tr></table>", False),
    ("<b>bold</b> and <i>italic</i> and <code>x = 1</code>", False),
    ("<bos>", False),
    ("<eos>", False),
    ("<start_of_turn>user\nhi<end_of_turn>", False),
    ("<|turn>user\nhi<turn|>", False),
    ('<|tool_call>call:f{a:<|"|>x<|"|>}<tool_call|>', False),
    ("<|channel>thought\nhmm<channel|>", False),
    ("<0x41><0xFF>", False),
    ("<unused0> and <mask>", False),
    ("<bos>", True),
    ("<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\n", True),
    ("<bos><|turn>user\nHello<turn|>\n<|turn>model\n", True),
    ("<|turn>system\n<|think|>\nYou are helpful.<turn|>\n", True),
    ('<|tool>declaration:get_weather{description:<|"|>Weather<|"|>}<tool|>', True),
    ("<|channel>thought\nLet me think.<channel|>The answer.", True),
    ("text<eos>more<pad>", True),
    ("<table> stays a piece in both modes </table>", True),
    ("Mixed ordinary text, no specials, parsed as template.", True),
    (LONG, False),
    (LONG * 3, False),
]


def fuzz(count=400, seed=20261127):
    """Random strings (content, parse_special=False): code points drawn from many scripts plus whitespace and
    punctuation, and runs of words from corpus.txt, so merges meet unusual neighbours. Deterministic."""
    import pathlib
    import random

    rng = random.Random(seed)
    pools = [
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "0123456789",
        " " * 6 + "\n\n\t",
        ".,;:!?-_()[]{}<>/\\|'\"@#$%^&*+=~`",
        "äöüßéèêàçñøåæœ",
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "的一是不了人我在有他这为之大来以个中上们",
        "あいうえおかきくけこアイウエオ",
        "가나다라마바사아자차카타파하",
        "αβγδεζηθικλμνξοπρστυφχψω",
        "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
        "😀😂👍🎉❤🚀🦜🪿🫠🧌",
        "\u0301\u0308\u200d\ufe0f",
        "𠜎𠜱𝕄𝕒",
    ]
    words = (pathlib.Path(__file__).resolve().parent / "corpus.txt").read_text(encoding="utf-8").split()
    out = []
    for i in range(count):
        if i % 3 == 0:
            text = (" " * rng.randint(0, 2)).join(rng.choice(words) for _ in range(rng.randint(1, 8)))
        else:
            chosen = rng.sample(pools, rng.randint(1, 4))
            text = "".join(rng.choice(rng.choice(chosen)) for _ in range(rng.randint(1, 40)))
        out.append((text, False))
    return out
