"""Bringing a model in: a traced PyTorch module (torch.fx) or an ONNX graph, mapped onto layer
kinds with its weights, so the design built from it gives the original's outputs."""
