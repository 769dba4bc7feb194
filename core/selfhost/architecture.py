"""Open-weight model architectures: shapes, parameter counts, KV elements per token (App. A)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

ATTENTION_KINDS = ("full", "sliding", "hybrid", "mla")


@dataclass(frozen=True, slots=True)
class Attention:
    """Attention layout: which layers keep a window, and MLA's latent dimensions."""

    kind: str  # full | sliding (all layers windowed) | hybrid (local + global) | mla
    window: int = 0
    local_layers: int = 0
    kv_lora_rank: int = 0
    q_lora_rank: int = 0
    qk_nope_head_dim: int = 0
    qk_rope_head_dim: int = 0
    v_head_dim: int = 0


@dataclass(frozen=True, slots=True)
class MoE:
    """Mixture-of-experts layout (per MoE layer)."""

    experts: int
    top_k: int
    expert_intermediate: int
    shared_experts: int
    moe_layers: int


@dataclass(frozen=True, slots=True)
class OpenModel:
    """An open-weight architecture, with parameter and KV arithmetic (inference-physics App. A)."""

    id: str
    name: str
    layers: int
    hidden_size: int
    attention_heads: int
    kv_heads: int
    head_dim: int
    ffn_intermediate: int
    vocab_size: int
    tied_embeddings: bool
    context_window: int
    attention: Attention
    moe: MoE | None
    published_total_params: float
    published_active_params: float
    # OpenAI counts gpt-oss active parameters without the input embedding (a lookup, no FLOPs);
    # Meta, Mistral, Qwen and DeepSeek count both embedding matrices.
    published_active_excludes_input_embedding: bool
    source: str
    checked: dt.date
    notes: str = ""

    @property
    def is_moe(self) -> bool:
        return self.moe is not None

    @property
    def embedding_params(self) -> int:
        """Input embedding plus LM head (one matrix when tied)."""
        return self.vocab_size * self.hidden_size * (1 if self.tied_embeddings else 2)

    @property
    def attention_params_per_layer(self) -> int:
        d, h, a = self.hidden_size, self.attention_heads, self.attention
        if a.kind == "mla":
            qk = a.qk_nope_head_dim + a.qk_rope_head_dim
            q = d * a.q_lora_rank + a.q_lora_rank * h * qk if a.q_lora_rank else d * h * qk
            kv = d * (a.kv_lora_rank + a.qk_rope_head_dim) + a.kv_lora_rank * h * (
                a.qk_nope_head_dim + a.v_head_dim)
            return q + kv + h * a.v_head_dim * d
        hd = self.head_dim
        return d * h * hd + 2 * d * self.kv_heads * hd + h * hd * d

    @property
    def dense_ffn_params_per_layer(self) -> int:
        return 3 * self.hidden_size * self.ffn_intermediate  # gated MLP: gate, up, down

    @property
    def expert_params(self) -> int:
        """Parameters of one routed expert (0 for dense models)."""
        return 3 * self.hidden_size * self.moe.expert_intermediate if self.moe else 0

    def _moe_layer_params(self, routed: int) -> int:
        m = self.moe
        assert m is not None
        shared = m.shared_experts * self.expert_params
        router = self.hidden_size * m.experts
        return routed * self.expert_params + shared + router

    def _params(self, routed_per_layer: int) -> int:
        moe_layers = self.moe.moe_layers if self.moe else 0
        dense = (self.layers - moe_layers) * self.dense_ffn_params_per_layer
        experts = moe_layers * self._moe_layer_params(routed_per_layer) if self.moe else 0
        return self.layers * self.attention_params_per_layer + dense + experts + self.embedding_params

    @property
    def total_params(self) -> int:
        """Every parameter that must be resident (all experts; norms and biases ignored, <0.1%)."""
        return self._params(self.moe.experts if self.moe else 0)

    @property
    def active_params(self) -> int:
        """Parameters per token, counting both embedding matrices (the common convention)."""
        return self._params(self.moe.top_k if self.moe else 0)

    @property
    def flop_params_per_token(self) -> int:
        """Parameters that cost 2 FLOPs per token: the input embedding is a lookup, not a matmul."""
        lookup = 0 if self.tied_embeddings else self.vocab_size * self.hidden_size
        return self.active_params - lookup

    @property
    def routed_expert_params(self) -> int:
        return self.moe.moe_layers * self.moe.experts * self.expert_params if self.moe else 0

    @property
    def kv_elements_per_token_per_layer(self) -> int:
        a = self.attention
        if a.kind == "mla":
            return a.kv_lora_rank + a.qk_rope_head_dim
        return 2 * self.kv_heads * self.head_dim

    @property
    def prefill_attention_dims(self) -> tuple[int, int]:
        """(d_qk, d_v) per query head for prefill attention FLOPs (MLA prefill is not absorbed)."""
        a = self.attention
        if a.kind == "mla":
            return a.qk_nope_head_dim + a.qk_rope_head_dim, a.v_head_dim
        return self.head_dim, self.head_dim
