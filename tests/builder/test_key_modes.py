"""A browser's key and a signed-in user's folder name never overlap, and each belongs to one mode."""

from __future__ import annotations

from builder.people.keys import (
    is_browser_key,
    is_key,
    is_key_for,
    is_user_key,
    new_key,
    user_key,
)


def test_browser_keys_and_user_folders_are_told_apart_by_mode():
    user = user_key("https://id.example", "ada")
    browser = new_key()
    assert is_key(user) and is_key(browser)  # both name folders under people/
    assert is_user_key(user) and not is_browser_key(user)
    assert is_browser_key(browser) and not is_user_key(browser)
    assert is_key_for(browser, signed_in=False) and not is_key_for(browser, signed_in=True)
    assert is_key_for(user, signed_in=True) and not is_key_for(user, signed_in=False)
    # shaped like a user's folder, but not one user_key makes: refused in both modes
    for odd in ("user-" + "A" * 40, "user-" + "0" * 39, "user-" + "0" * 41):
        assert not is_key_for(odd, signed_in=True) and not is_key_for(odd, signed_in=False)
    assert not any(new_key().startswith("user-") for _ in range(500))
