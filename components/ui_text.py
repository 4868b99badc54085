"""Show user text (node ids, file names, messages) as literal text in Streamlit markdown."""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~$:&])")
# Where Streamlit's markdown (GitHub's autolink literals) would start a link by itself: a web
# address or an e-mail.  A word joiner (U+2060, invisible) in front makes it plain text: an
# autolink starts only after a space, punctuation or the start of the text.
_AUTOLINK = re.compile(r"(?i)(?=https?:|www\.|@)")
WORD_JOINER = "\u2060"


def md_escape(text: object) -> str:
    """Escape markdown and HTML-looking characters, and keep addresses from becoming links, so
    `text` renders exactly as written."""
    text = _AUTOLINK.sub(WORD_JOINER, str(text))
    return _SPECIAL.sub(r"\\\1", text).replace("\n", " ")
