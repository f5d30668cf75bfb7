"""Shared fixtures: small genomes written to a temporary folder."""

import random
import sys
from pathlib import Path

import pysam
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def random_dna(length: int, seed: int, gc: float = 0.5) -> str:
    """Return a reproducible random DNA string with the given G+C share."""
    rng = random.Random(seed)
    weights = [(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2]
    return "".join(rng.choices("ACGT", weights=weights, k=length))


def write_fasta(path: Path, sequences: dict[str, str], width: int = 60) -> Path:
    with open(path, "w") as handle:
        for name, seq in sequences.items():
            handle.write(f">{name} test sequence\n")
            for i in range(0, len(seq), width):
                handle.write(seq[i:i + width] + "\n")
    return path


@pytest.fixture
def sequences() -> dict[str, str]:
    # chr1 and chr10 share a prefix on purpose: names must never match by substring.
    return {
        "chr1": random_dna(600, seed=1),
        "chr10": random_dna(600, seed=10),
        "gnl|UG|Ta#S1": random_dna(300, seed=3),
    }


@pytest.fixture
def fasta(tmp_path, sequences) -> Path:
    """An indexed FASTA (genome.fa with genome.fa.fai beside it)."""
    path = write_fasta(tmp_path / "genome.fa", sequences)
    pysam.faidx(str(path))
    return path
