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


def test_bgzip_fasta_indexed_and_read(tmp_path, sequences):
    from conftest import write_fasta
    import pysam
    plain = write_fasta(tmp_path / "g.fa", sequences)
    pysam.tabix_compress(str(plain), str(tmp_path / "g.fa.gz"))
    with Genome(tmp_path / "g.fa.gz", index_dir=tmp_path / "cache") as genome:
        assert genome.fetch("chr10", 100, 130) == sequences["chr10"][100:130]
    assert len(list((tmp_path / "cache").glob("*.gzi"))) == 1


def test_plain_gzip_fasta_rejected(tmp_path, sequences):
    import gzip
    data = "".join(f">{n}\n{s}\n" for n, s in sequences.items()).encode()
    (tmp_path / "g.fa.gz").write_bytes(gzip.compress(data))
    with pytest.raises(InputError, match="gzip-compressed; compress it with bgzip instead"):
        Genome(tmp_path / "g.fa.gz", index_dir=tmp_path / "cache")


def test_alias_file_resolves_names(fasta, tmp_path):
    from kaspflow.genome import read_alias_file
    alias_file = tmp_path / "aliases.tsv"
    alias_file.write_text("# alias\tsequence\nTa#S1\tgnl|UG|Ta#S1\nten chr10\n")
    with Genome(fasta, aliases=read_alias_file(alias_file)) as genome:
        assert genome.resolve("Ta#S1") == "gnl|UG|Ta#S1"
        assert genome.resolve("ten") == "chr10"


def test_alias_to_unknown_sequence_rejected(fasta):
    with pytest.raises(InputError, match="not a sequence of"):
        Genome(fasta, aliases={"x": "chr99"})


def test_bad_alias_line_named(tmp_path):
    from kaspflow.genome import read_alias_file
    alias_file = tmp_path / "aliases.tsv"
    alias_file.write_text("a b c\n")
    with pytest.raises(InputError, match="line 1: expected two columns"):
        read_alias_file(alias_file)
