"""Unit tests: rules and models on values in memory, fast enough to run on every save (`make unit`).

A test that needs a folder, a workspace or the CLI belongs one level up, with the end-to-end tests; asking for
one of their fixtures here fails the test with that advice rather than quietly slowing the fast run down.
"""

from __future__ import annotations

import pytest

# The fixtures that give a test files on disk, or the whole CLI (tmp_path_factory is not listed: the shared
# autouse fixture that points the personal folders away from the developer's own uses it for every test)
DISK_FIXTURES = frozenset({"tmp_path", "tmpdir", "tmpdir_factory", "workspace", "demo_workspace", "cli"})


@pytest.fixture(autouse=True)
def _no_disk(request: pytest.FixtureRequest) -> None:
    used = sorted(DISK_FIXTURES.intersection(request.fixturenames))
    if used:
        pytest.fail(f"a unit test uses {', '.join(used)}: move it out of tests/unit/ (end-to-end tests may use "
                    "files and the CLI)", pytrace=False)
