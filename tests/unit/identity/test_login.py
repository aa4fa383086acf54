"""After sign-in, the browser may only be sent to a local path (no open redirect)."""

from __future__ import annotations

import pytest

from enclave.identity.login import safe_next


class TestSafeNext:
    @pytest.mark.parametrize("path", ["/", "/projects/1", "/a?b=c#d"])
    def test_local_paths_are_kept(self, path: str) -> None:
        assert safe_next(path) == path

    @pytest.mark.parametrize(
        "path",
        [
            None,
            "",
            "https://evil.example/",
            "//evil.example/x",
            "/\\evil.example",
            "javascript:alert(1)",
            "x",
        ],
    )
    def test_anything_else_goes_home(self, path: str | None) -> None:
        assert safe_next(path) == "/"
