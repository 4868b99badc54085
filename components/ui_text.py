"""Show user text (node ids, file names, messages) as literal text in Streamlit markdown."""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~$:])")


def md_escape(text: object) -> str:
    """Escape markdown and HTML-looking characters so `text` renders exactly as written."""
    return _SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")
