"""Whose page this is, as a folder: the signed-in user's, or this browser's random key's.

Without sign-in, each browser keeps an unguessable random key (local storage, and a cookie so the
server knows it from the first request of every later visit); with Streamlit's sign-in
configured (an `[auth]` section in .streamlit/secrets.toml), the folder is the signed-in user's,
the same on every browser.  Every read and write of designs, runs, uploads, imports and exports
goes through `folder()`: nothing of one person's can be named from another person's page.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from builder.people.keys import is_browser_key, is_key_for, person_dir, user_key
from builder.people.legacy import adopt_legacy
from builder.runs.workspace import workspace_dir

KEY_COOKIE = "netbuilder_key"
PERSON = "nb_person"  # session: this page's person key
FOLDER = "nb_person_folder"
BROWSER_KEY = "nb_browser_key"

# Runs once in the browser: keep (or make) the key and hand it to the server.  The key never
# appears in the page's address, so a shared link or a screenshot does not give it away.
_KEY_JS = """
export default function ({ setStateValue }) {
  const name = "netbuilder.key";
  const ok = (k) =>
    typeof k === "string" && /^[A-Za-z0-9_-]{32,64}$/.test(k) && !k.startsWith("user-");
  let key = null;
  try { key = window.localStorage.getItem(name); } catch (e) { key = null; }
  while (!ok(key)) {
    const bytes = new Uint8Array(24);
    window.crypto.getRandomValues(bytes);
    key = btoa(String.fromCharCode(...bytes))
      .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
    try { window.localStorage.setItem(name, key); } catch (e) { /* private window: cookie only */ }
  }
  document.cookie = "__COOKIE__=" + key + "; path=/; max-age=315360000; SameSite=Strict";
  setStateValue("key", key);
}
"""
KEY_JS = _KEY_JS.replace("__COOKIE__", KEY_COOKIE)

_mount = None


def auth_configured() -> bool:
    """Whether Streamlit's sign-in is set up (an [auth] section in the secrets)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all, or one that cannot be parsed
        return False


def _signed_in_key() -> str | None:
    if not st.user.is_logged_in:
        return None
    subject = st.user.get("sub") or st.user.get("email")
    return user_key(st.user.get("iss"), str(subject or ""))


def _browser_key() -> str | None:
    cookie = st.context.cookies.get(KEY_COOKIE)
    if is_browser_key(cookie):
        return cookie
    global _mount
    if _mount is None:
        _mount = st.components.v2.component("netbuilder.browser_key", js=KEY_JS)
    _mount(key=BROWSER_KEY, on_key_change=lambda: None)
    state = st.session_state.get(BROWSER_KEY)
    key = state.get("key") if isinstance(state, dict) else None
    return key if is_browser_key(key) else None


def person_key() -> str | None:
    """This page's person, or None while the browser has not said (or nobody signed in)."""
    signed_in = auth_configured()
    key = st.session_state.get(PERSON)
    if is_key_for(key, signed_in):
        return key
    key = _signed_in_key() if signed_in else _browser_key()
    if key is not None:
        st.session_state[PERSON] = key
    return key


def folder() -> Path:
    """The person's folder under the workspace root (their designs, runs, uploads …)."""
    found = st.session_state.get(FOLDER)
    key = st.session_state.get(PERSON)
    if found is None or found[0] != key:
        if not is_key_for(key, auth_configured()):
            raise RuntimeError("the page has no person yet: call person_key() first")
        root = workspace_dir()
        path = person_dir(root, key)
        adopt_legacy(root, path)  # one's own machine from before: its files are this person's
        found = (key, path)
        st.session_state[FOLDER] = found
    return found[1]


def require_person() -> bool:
    """Make sure the page knows its person; otherwise say why and return False (the caller
    stops the script: the browser's answer, or signing in, reruns it)."""
    if person_key() is not None:
        return True
    if auth_configured():
        st.title("Network builder")
        st.write("Sign in to open your designs and runs.")
        st.button("Sign in", on_click=st.login, type="primary", icon=":material/login:")
    else:
        st.caption("Opening your workspace…")
    return False
