"""The page's panels: one module per panel, each rendering with Streamlit and calling `builder`."""
