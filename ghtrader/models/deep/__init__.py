"""The deep LOB model zoo: DeepLOB, TCN, Transformer, TLOB and a Mamba-style SSM in plain PyTorch.

Every net maps a window ``(batch, T, features)`` of the last ``T`` snapshots to three logits
(DOWN/FLAT/UP); ``model`` wraps them in the ``ghtrader.models.base.Model`` contract, ``train`` holds
the seeded (optionally DDP) training loop, ``export`` the TorchScript/ONNX export. Importing this
package does not import torch; the submodules do.
"""
