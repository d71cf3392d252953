"""onnxruntime sessions, one per model version, created on first use and kept.

Session options suit Lambda: intra-op threads from the vCPUs the memory size gives (one vCPU
per 1,769 MB), no inter-op parallelism, sequential execution.
"""

from __future__ import annotations

import threading
from typing import Any

from monolambda.domain.models import ModelManifest, ModelUnavailableError

MB_PER_VCPU = 1769
MAX_SESSIONS = 8


def threads_for(memory_mb: int | None) -> int:
    if memory_mb is None:
        return 1
    return max(1, min(6, -(-memory_mb // MB_PER_VCPU)))


class OnnxInference:
    def __init__(self, memory_mb: int | None) -> None:
        import onnxruntime  # noqa: PLC0415 - 30-135 ms: only the predict path pays for it

        self._ort = onnxruntime
        self._threads = threads_for(memory_mb)
        self._sessions: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def run(self, manifest: ModelManifest, model_file: str, batch: Any) -> list[list[float]]:
        session = self._session(manifest, model_file)
        outputs = session.run([manifest.output_name], {manifest.input.name: batch.array})
        scores: list[list[float]] = outputs[0].tolist()
        return scores

    def _session(self, manifest: ModelManifest, model_file: str) -> Any:
        key = (manifest.name, manifest.version)
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                session = self._create(manifest, model_file)
                if len(self._sessions) >= MAX_SESSIONS:
                    self._sessions.pop(next(iter(self._sessions)))
                self._sessions[key] = session
            return session

    def _create(self, manifest: ModelManifest, model_file: str) -> Any:
        onnxruntime = self._ort
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self._threads
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            session = onnxruntime.InferenceSession(
                model_file, sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as e:
            raise ModelUnavailableError(
                f"{manifest.name} version {manifest.version}: the model cannot be loaded"
            ) from e
        names = {i.name for i in session.get_inputs()}
        outputs = {o.name for o in session.get_outputs()}
        if manifest.input.name not in names or manifest.output_name not in outputs:
            raise ModelUnavailableError(
                f"{manifest.name} version {manifest.version}: the manifest names an input or "
                "output the model does not have"
            )
        return session
