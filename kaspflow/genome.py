"""Random access to a reference genome through pysam, and chromosome-name resolution.

Only the requested window of a sequence is read, never the whole genome. All
positions in this module are 0-based half-open, as pysam uses them.
"""

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pysam

from .errors import InputError, SnpError

log = logging.getLogger(__name__)

# Prefixes that name the same chromosome in different conventions: chr1A, Chr1A, 1A.
_PREFIX = re.compile(r"^(chromosome|chrom|chr)[_ ]?", re.IGNORECASE)


def normalize_name(name: str) -> str:
    """Return the alias key of a sequence name: lower case, without a chr/chrom prefix."""
    return _PREFIX.sub("", name.strip()).lower()


@dataclass(frozen=True)
class SequenceInfo:
    """One sequence of a genome as the FASTA index lists it."""

    name: str
    length: int


class Genome:
    """An indexed FASTA file (plain or bgzip) opened for random access.

    An index beside the FASTA (``.fai``, plus ``.gzi`` for bgzip) is used when
    present. Otherwise one is built in ``index_dir`` and reused until the FASTA
    changes.
    """

    def __init__(self, fasta: str | os.PathLike, index_dir: str | os.PathLike | None = None,
                 aliases: dict[str, str] | None = None):
        self.path = Path(fasta)
        if not self.path.is_file():
            raise InputError(
                f"genome FASTA not found: {self.path}; check the --fasta path, or the genome's "
                "'fasta' entry in config/config.yaml"
            )
        self._fasta = self._open(index_dir)
        self.sequences = [SequenceInfo(n, self._fasta.get_reference_length(n))
                          for n in self._fasta.references]
        self._lengths = {s.name: s.length for s in self.sequences}
        self._aliases = self._build_aliases(aliases or {})

    def _open(self, index_dir):
        fai = Path(str(self.path) + ".fai")
        gzi = Path(str(self.path) + ".gzi")
        is_bgzip = self.path.suffix in {".gz", ".bgz"}
        if fai.exists() and (gzi.exists() or not is_bgzip):
            return self._fasta_file(str(self.path), str(fai), str(gzi) if is_bgzip else None)

        # A missing index is built in index_dir, never beside the FASTA: a shared
        # reference folder belongs to someone else, and may be read-only.
        if index_dir is None:
            raise InputError(
                f"no index for {self.path}; run 'samtools faidx {self.path}' or set index_dir "
                "in config/config.yaml"
            )
        cache = Path(index_dir)
        cache.mkdir(parents=True, exist_ok=True)
        stem = re.sub(r"[^A-Za-z0-9._-]", "_", str(self.path.resolve()).lstrip("/"))
        fai_target = cache / (stem + ".fai")
        gzi_target = cache / (stem + ".gzi")
        fasta_mtime = self.path.stat().st_mtime
        if fai_target.exists() and fai_target.stat().st_mtime >= fasta_mtime and (
                gzi_target.exists() or not is_bgzip):
            return self._fasta_file(str(self.path), str(fai_target),
                                    str(gzi_target) if is_bgzip else None)
        args = [str(self.path), "--fai-idx", str(fai_target)]
        if is_bgzip:
            args += ["--gzi-idx", str(gzi_target)]
        log.info("indexing %s into %s", self.path, fai_target)
        try:
            pysam.faidx(*args)
        except pysam.utils.SamtoolsError as exc:
            raise InputError(self._index_problem(exc)) from None
        return self._fasta_file(str(self.path), str(fai_target), str(gzi_target) if is_bgzip else None)

    def _index_problem(self, exc: Exception) -> str:
        with open(self.path, "rb") as handle:
            head = handle.read(2)
            handle.seek(0)
            first = handle.read(200)
        if head == b"\x1f\x8b":
            return (f"cannot index genome FASTA {self.path}: it is gzip-compressed; compress it "
                    f"with bgzip instead (gunzip it, then bgzip {self.path.stem})")
        if not first.lstrip().startswith(b">"):
            return (f"{self.path} is not a FASTA file: it does not start with a '>' header line; "
                    "give the genome sequence in FASTA format")
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else "unknown error"
        return f"cannot index genome FASTA {self.path}: {detail}"

    def _fasta_file(self, path, fai, gzi):
        try:
            return pysam.FastaFile(path, filepath_index=fai, filepath_index_compressed=gzi)
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot open genome FASTA {path}: {exc}") from exc

    def _build_aliases(self, user_aliases):
        by_key: dict[str, list[str]] = {}
        for seq in self.sequences:
            by_key.setdefault(normalize_name(seq.name), []).append(seq.name)
        aliases = {key: names[0] for key, names in by_key.items() if len(names) == 1}
        for alias, target in user_aliases.items():
            if target not in self._lengths:
                raise InputError(
                    f"alias '{alias}' points to '{target}', which is not a sequence of {self.path}"
                )
            aliases[normalize_name(alias)] = target
        return aliases

    def __contains__(self, name: str) -> bool:
        return name in self._lengths

    def length(self, name: str) -> int:
        """Return the length in bp of the sequence called exactly ``name``."""
        return self._lengths[name]

    def resolve(self, name: str) -> str:
        """Return the genome's own name for ``name``.

        An exact match wins; otherwise chr1A, Chr1A and 1A are taken as the same
        name. Names are compared whole, so chr1 never matches chr10.
        """
        if name in self._lengths:
            return name
        target = self._aliases.get(normalize_name(name))
        if target is not None:
            return target
        names = [s.name for s in self.sequences]
        shown = ", ".join(names[:10]) + (f", ... ({len(names)} in all)" if len(names) > 10 else "")
        count = f"{len(names)} sequence" + ("s" if len(names) != 1 else "")
        raise SnpError(
            f"sequence '{name}' is not in the genome (it has {count}: {shown}); "
            "use one of these names or add an alias"
        )

    def fetch(self, name: str, start: int, end: int) -> str:
        """Return bases [start, end) of sequence ``name`` (0-based half-open), case kept."""
        return self._fasta.fetch(name, start, end)

    def close(self):
        self._fasta.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_alias_file(path: str | os.PathLike) -> dict[str, str]:
    """Read a two-column alias file (alias, sequence name; tab or space separated).

    Lines starting with '#' are comments; a '#' inside a name is part of it.
    """
    aliases = {}
    try:
        lines = Path(path).read_text().splitlines()
    except OSError as exc:
        raise InputError(f"cannot read alias file {path}: {exc.strerror}") from None
    for number, line in enumerate(lines, start=1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if len(fields) != 2:
            raise InputError(
                f"{path}, line {number}: expected two columns (alias, sequence name), got '{line.strip()}'"
            )
        aliases[fields[0]] = fields[1]
    return aliases
