"""Text of runs of letters that SentencePiece's normalizer passes without looking at each one,
broken by characters that go on a rule after them (shared by the `.model` tests)."""

from hypothesis import strategies as st

# Letters of scripts whose characters pass in runs under the NFKC charsmaps (Latin-1, Cyrillic,
# Hebrew, Arabic, CJK ideographs), next to what goes on a rule after them: combining marks
# (U+0301, U+0306, U+0308 compose with a letter before them), Cyrillic's own marks, kana and
# their voicing marks, Greek (some of its characters are rules alone), full-width forms.
RUN_LETTERS = "àéüÿÀÉÜßабвгдеийкёЁЙѐѝѠѡґєאבגדابتث日本語中文字"
RUN_OTHERS = ["\u0301", "\u0306", "\u0308", "\u0483", "\u0489", "か", "\u3099", "\u309a", "ｶ", "\uff9e", "ΐ", "\u0387", "ϐ", "Ａ", "①", " ", "a", "."]
RUN_TEXT = st.lists(st.one_of(st.text(alphabet=RUN_LETTERS, min_size=1, max_size=12), st.sampled_from(RUN_OTHERS)), max_size=16).map("".join)
