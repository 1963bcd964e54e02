"""Property: any mutation of a small valid dataset's bytes is imported or refused with a
located message; no other exception escapes and nothing is printed (issue #15).

Bounded for CI (derandomized, no example database, about 30 s); ``fuzz/fuzz_readers.py``
runs the same cases for as long as it is given.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fuzzing import FILES, apply, check_import, mutation, small_dataset
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = small_dataset(tmp_path_factory.mktemp("small") / "dataset")
    check_import(folder, folder.parent / "out")  # the unmutated dataset imports
    return folder


@pytest.mark.parametrize("name", FILES)
def test_mutated_file_is_imported_or_refused_with_a_location(
    pristine: Path,
    tmp_path_factory: pytest.TempPathFactory,
    capfd: pytest.CaptureFixture[str],
    name: str,
) -> None:
    original = (pristine / name).read_bytes()
    work = tmp_path_factory.mktemp(f"mutated-{name}")

    @settings(
        max_examples=100,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def case(data: st.DataObject) -> None:
        edits = data.draw(mutation(len(original)))
        (pristine / name).write_bytes(apply(original, edits))
        try:
            check_import(pristine, work / "out")
        finally:
            (pristine / name).write_bytes(original)

    case()
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Exception ignored" not in err, err[:2000]
