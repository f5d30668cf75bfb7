import os

import pytest

from kaspflow.errors import InputError, SnpError
from kaspflow.genome import Genome, normalize_name


def test_fetch_is_zero_based_half_open(fasta, sequences):
    with Genome(fasta) as genome:
        assert genome.fetch("chr1", 0, 10) == sequences["chr1"][:10]
        assert genome.fetch("chr1", 595, 600) == sequences["chr1"][595:]


def test_index_built_beside_fasta(fasta):
    Genome(fasta).close()
    assert fasta.with_name("genome.fa.fai").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to a read-only folder")
def test_index_built_in_cache_when_read_only(tmp_path, sequences):
    from conftest import write_fasta
    folder = tmp_path / "ro"
    folder.mkdir()
    fasta = write_fasta(folder / "g.fa", sequences)
    folder.chmod(0o555)
    try:
        with Genome(fasta, index_dir=tmp_path / "cache") as genome:
            assert genome.length("chr10") == 600
        assert list((tmp_path / "cache").glob("*.fai"))
    finally:
        folder.chmod(0o755)


def test_missing_fasta_names_path(tmp_path):
    with pytest.raises(InputError, match="genome FASTA not found"):
        Genome(tmp_path / "absent.fa")


def test_name_with_pipe_and_hash(fasta, sequences):
    with Genome(fasta) as genome:
        assert genome.resolve("gnl|UG|Ta#S1") == "gnl|UG|Ta#S1"
        assert genome.fetch("gnl|UG|Ta#S1", 0, 5) == sequences["gnl|UG|Ta#S1"][:5]


@pytest.mark.parametrize("alias", ["chr1", "1", "Chr1", "CHR1", "chromosome1"])
def test_resolve_aliases(fasta, alias):
    with Genome(fasta) as genome:
        assert genome.resolve(alias) == "chr1"


def test_resolve_never_matches_substring(fasta):
    with Genome(fasta) as genome:
        assert genome.resolve("10") == "chr10"
        with pytest.raises(SnpError, match="'chr100' is not in the genome"):
            genome.resolve("chr100")


def test_unknown_sequence_lists_names(fasta):
    with Genome(fasta) as genome:
        with pytest.raises(SnpError) as error:
            genome.resolve("chr5A")
    assert "chr5A" in str(error.value)
    assert "3 sequences" in str(error.value)
    assert "chr10" in str(error.value)


def test_normalize_name():
    assert normalize_name("Chr7B") == "7b"
    assert normalize_name("7B") == "7b"
