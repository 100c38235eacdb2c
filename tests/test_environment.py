"""environment.yml repeats pyproject.toml's pins exactly; torch stays pinned."""

import tomllib

import yaml

from paperkit import paths


def _pyproject_pins() -> list[str]:
    doc = tomllib.loads((paths.ROOT / "pyproject.toml").read_text())
    return doc["project"]["dependencies"]


def test_environment_yml_mirrors_pyproject():
    env = yaml.safe_load((paths.ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert sorted(pip) == sorted(_pyproject_pins())
    assert "python=3.11" in env["dependencies"]


def test_every_dependency_is_pinned_exactly():
    for pin in _pyproject_pins():
        assert "==" in pin, f"{pin} is not pinned: an open torch pulls gigabytes of CUDA wheels"
    assert "torch==2.13.0" in _pyproject_pins()
