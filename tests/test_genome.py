import os

import pytest

from kaspflow.errors import InputError, SnpError
from kaspflow.genome import Genome, normalize_name


def test_fetch_is_zero_based_half_open(fasta, sequences):
    with Genome(fasta) as genome:
        assert genome.fetch("chr1", 0, 10) == sequences["chr1"][:10]
        assert genome.fetch("chr1", 595, 600) == sequences["chr1"][595:]


def test_index_built_in_cache_not_beside_fasta(unindexed_fasta, tmp_path):
    Genome(unindexed_fasta, index_dir=tmp_path / "cache").close()
    assert not unindexed_fasta.with_name("plain.fa.fai").exists()
    assert len(list((tmp_path / "cache").glob("*.fai"))) == 1


def test_cached_index_rebuilt_when_fasta_changes(unindexed_fasta, tmp_path):
    from conftest import write_fasta
    Genome(unindexed_fasta, index_dir=tmp_path / "cache").close()
    write_fasta(unindexed_fasta, {"other": "ACGT" * 50})
    os.utime(unindexed_fasta, (1e10, 1e10))
    with Genome(unindexed_fasta, index_dir=tmp_path / "cache") as genome:
        assert [s.name for s in genome.sequences] == ["other"]


def test_index_beside_fasta_used(fasta, tmp_path):
    with Genome(fasta, index_dir=tmp_path / "cache") as genome:
        assert genome.length("chr1") == 600
    assert not (tmp_path / "cache").exists()


def test_missing_index_without_index_dir(unindexed_fasta):
    with pytest.raises(InputError, match="samtools faidx"):
        Genome(unindexed_fasta)


@pytest.fixture
def unindexed_fasta(tmp_path, sequences):
    from conftest import write_fasta
    return write_fasta(tmp_path / "plain.fa", sequences)


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
