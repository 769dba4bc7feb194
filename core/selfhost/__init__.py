"""Self-hosting an open model: accelerators, architectures, quantization, the roofline estimate, break-even."""
