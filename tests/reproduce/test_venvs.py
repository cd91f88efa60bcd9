"""The layout of a virtual environment, and moving one built elsewhere."""

from __future__ import annotations

from pathlib import Path

from gitops_ml.reproduce import venvs


def test_layout_and_installed(tmp_path: Path) -> None:
    env = tmp_path / "env"
    site = env / "lib" / "python3.11" / "site-packages"
    (site / "six-1.17.0.dist-info").mkdir(parents=True)
    (site / "Foo_Bar-2.0.dist-info").mkdir()
    assert venvs.venv_python(env) == env / "bin" / "python"
    assert venvs.site_packages(env) == [site]
    assert venvs.installed(env) == {"foo-bar": "2.0", "six": "1.17.0"}


def test_a_moved_environment_names_its_new_place(tmp_path: Path) -> None:
    env = tmp_path / "build"
    (env / "bin").mkdir(parents=True)
    (env / "bin" / "activate").write_text(f'VIRTUAL_ENV="{env}"\n')
    (env / "bin" / "tool").write_text(f"#!{env}/bin/python\n")
    (env / "bin" / "python").symlink_to("/usr/bin/python3")
    (env / "pyvenv.cfg").write_text("home = /usr/bin\n")
    venvs.rewrite_paths(env, str(env), "/final/place")
    assert (env / "bin" / "activate").read_text() == 'VIRTUAL_ENV="/final/place"\n'
    assert (env / "bin" / "tool").read_text() == "#!/final/place/bin/python\n"
    assert (env / "bin" / "python").is_symlink()
