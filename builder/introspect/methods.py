"""The explanation methods by name (kept apart from captum, which takes seconds to import)."""

METHODS = ("saliency", "integrated_gradients", "grad_cam")
DEFAULT_STEPS = 128  # Integrated Gradients' steps: completeness within 1% on the presets
