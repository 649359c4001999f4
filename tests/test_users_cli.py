"""`bvflow user …` through the installed entry point: roles, tokens, errors."""

from __future__ import annotations

import json
from pathlib import Path

from bvflow.site import Site
from bvflow.users import authenticate, token_principal

from .conftest import make_site_dir
from .test_cli import run

PW = "a-long-password-1"


def test_user_commands(tmp_path: Path) -> None:
    site_dir = make_site_dir(tmp_path, f"sqlite:///{tmp_path / 'u.db'}")
    cfg = str(site_dir / "config.toml")
    r = run(["user", "add", "Kari", "--role", "secretary", "--party", "seljord", "--name", "Kari N",
             "--config", cfg], tmp_path, BVFLOW_PASSWORD=PW)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "added kari; vest-telemark: secretary for seljord"
    pw_file = tmp_path / "pw"
    pw_file.write_text(PW + "\n")
    assert run(["user", "add", "root", "--admin", "--password-file", str(pw_file), "--config", cfg],
               tmp_path).returncode == 0
    listed = json.loads(run(["user", "list", "--json", "--config", cfg], tmp_path).stdout)
    assert listed == [
        {"username": "kari", "display_name": "Kari N", "email": "", "admin": False, "disabled": False,
         "roles": {"vest-telemark": {"role": "secretary", "party": "seljord"}}},
        {"username": "root", "display_name": "", "email": "", "admin": True, "disabled": False,
         "roles": {}},
    ]
    token = run(["user", "token", "kari", "--config", cfg], tmp_path).stdout.strip()
    site = Site.open(cfg)
    assert token.startswith("bvf_") and token_principal(site, token).username == "kari"
    assert authenticate(site, "root", PW).is_admin  # the file's trailing newline is not part of it
    r = run(["user", "grant", "kari", "--role", "observer", "--config", cfg], tmp_path)
    assert r.returncode == 0 and "kari: observer in vest-telemark" in r.stdout
    assert run(["user", "disable", "kari", "--config", cfg], tmp_path).returncode == 0
    assert "[disabled]" in run(["user", "list", "--config", cfg], tmp_path).stdout


def test_user_errors_name_the_field_and_store_nothing(tmp_path: Path) -> None:
    site_dir = make_site_dir(tmp_path, f"sqlite:///{tmp_path / 'u.db'}")
    cfg = str(site_dir / "config.toml")
    cases = [
        (["user", "add", "a", "--role", "steering"], {"BVFLOW_PASSWORD": "short"}, "password"),
        (["user", "add", "a", "--role", "secretary"], {"BVFLOW_PASSWORD": PW}, "party"),
        (["user", "add", "a", "--role", "secretary", "--party", "oslo"], {"BVFLOW_PASSWORD": PW},
         "party = 'oslo'"),
        (["user", "add", "a", "--role", "boss"], {"BVFLOW_PASSWORD": PW}, "role = 'boss'"),
        (["user", "add", "a b", "--role", "steering"], {"BVFLOW_PASSWORD": PW}, "username = 'a b'"),
        (["user", "add", "a"], {"BVFLOW_PASSWORD": PW}, "role"),
        (["user", "add", "a", "--role", "steering"], {}, "password"),  # no terminal, no password
        (["user", "token", "nobody"], {}, "username = 'nobody'"),
    ]
    for args, env, expected in cases:
        r = run([*args, "--config", cfg], tmp_path, **env)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert expected in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr
    assert json.loads(run(["user", "list", "--json", "--config", cfg], tmp_path).stdout) == []
