"""Which npm registry the installer asks: the option, npm's variable, then ``.npmrc``."""

from __future__ import annotations

from pathlib import Path

from threshold.server.clerk_js.registry import DEFAULT_REGISTRY, npm_registry


def _dirs(tmp_path: Path, cwd_rc: str | None = None, home_rc: str | None = None) -> dict[str, Path]:
    cwd, home = tmp_path / "project", tmp_path / "home"
    cwd.mkdir()
    home.mkdir()
    if cwd_rc is not None:
        (cwd / ".npmrc").write_text(cwd_rc)
    if home_rc is not None:
        (home / ".npmrc").write_text(home_rc)
    return {"cwd": cwd, "home": home}


def test_default_and_explicit(tmp_path: Path) -> None:
    dirs = _dirs(tmp_path)
    assert npm_registry(None, environ={}, **dirs) == DEFAULT_REGISTRY
    assert npm_registry("https://mirror.test/npm/", environ={}, **dirs) == "https://mirror.test/npm"


def test_environment_before_npmrc(tmp_path: Path) -> None:
    dirs = _dirs(tmp_path, cwd_rc="registry=https://cwd.test/\n")
    environ = {"npm_config_registry": "https://env.test/"}
    assert npm_registry(None, environ=environ, **dirs) == "https://env.test"
    assert npm_registry(None, environ={}, **dirs) == "https://cwd.test"


def test_scoped_registry_wins_and_the_project_before_home(tmp_path: Path) -> None:
    dirs = _dirs(
        tmp_path,
        cwd_rc="# comment\nregistry=https://cwd.test\n@clerk:registry = https://scoped.test\n",
        home_rc="registry=https://home.test\n",
    )
    assert npm_registry(None, environ={}, **dirs) == "https://scoped.test"
    (dirs["cwd"] / ".npmrc").unlink()
    assert npm_registry(None, environ={}, **dirs) == "https://home.test"


def test_values_that_need_expanding_are_skipped(tmp_path: Path) -> None:
    dirs = _dirs(tmp_path, home_rc="registry=${NPM_MIRROR}\n//x.test/:_authToken=abc\n")
    assert npm_registry(None, environ={"NPM_CONFIG_REGISTRY": "${X}"}, **dirs) == DEFAULT_REGISTRY
