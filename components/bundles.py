"""Where the running Streamlit finds the built frontends of our components-v2 components.

Streamlit discovers them from the `[[tool.streamlit.component.components]]` tables of
pyproject.toml, but that scan depends on how and from where the package was installed;
registering the same manifest here makes every component work from any working directory.
"""

from __future__ import annotations

from pathlib import Path


def ensure_registered(component_name: str, frontend_dir: Path, asset_dir: str = "dist") -> None:
    """Register `frontend_dir / asset_dir` as the assets of `component_name` ("project.name")."""
    from streamlit.components.v2.get_bidi_component_manager import get_bidi_component_manager
    from streamlit.components.v2.manifest_scanner import ComponentConfig, ComponentManifest

    manager = get_bidi_component_manager()
    if manager.get_component_asset_root(component_name) is None:
        project, name = component_name.split(".")
        manifest = ComponentManifest(
            name=project,
            version="0",
            components=[ComponentConfig(name=name, asset_dir=asset_dir)],
        )
        manager.register_from_manifest(manifest, frontend_dir)
