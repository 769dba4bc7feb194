"""Self-hosting an open model: accelerators, architectures, quantization, the roofline estimate, break-even."""
from core.base.lazyapi import public_api

__getattr__, __dir__, __all__ = public_api(__name__, {
    "breakeven": ("break_even",),
    "hardware": ("load_hardware", "load_open_models",),
    "quant": ("KV_DTYPES", "QUANT_SCHEMES",),
    "roofline": ("Deployment", "SelfHostError", "SelfHostEstimate", "busy_seconds", "estimate",),
})
