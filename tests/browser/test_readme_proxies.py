"""The README's proxy configurations (nginx and Caddy), as written there, in front of two
app replicas on one PostgreSQL database: the page, its websocket and the media pass
through, answers are saved once, and when a replica dies, the proxy sends its browsers
to the other and the answers they kept reach the database, still once each.

The `nginx` and `caddy` blocks are read from README.md itself (only their ports change),
so the configurations users copy are the ones tested."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.apprunner import free_port
from tests.browser.test_card_answers import CardPage
from tests.browser.test_replicas import (answer_in_turn, answers, assert_each_answer_saved_once,  # noqa: F401
                                         team_db)  # (team_db: a fixture)
from tests.programs import require

ROOT = Path(__file__).resolve().parents[2]
ANNOTATORS = 4
ROUND = 5
README_PORTS = (8601, 8602)


def readme_block(language: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)
    assert len(found) == 1, f"README.md should show one {language} configuration"
    block = found[0]
    for port in README_PORTS:
        assert f"127.0.0.1:{port}" in block
    return block


def with_ports(block: str, replicas: list[int]) -> str:
    for theirs, ours in zip(README_PORTS, replicas):
        block = block.replace(f"127.0.0.1:{theirs}", f"127.0.0.1:{ours}")
    return block


class Proxy:
    """A proxy in front of the replicas, on a free port, in its own folder."""
    def __init__(self, folder: Path, replicas: list[int]):
        folder.mkdir(parents=True, exist_ok=True)
        self.folder, self.port = folder, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(folder / "stderr.log", "w+")
        self.proc = subprocess.Popen(self.command(replicas), stdout=self.log, stderr=subprocess.STDOUT,
                                     env=self.env())
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"{type(self).__name__} did not pass the app's health check: {self.output()}")

    def command(self, replicas: list[int]) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        return dict(os.environ)

    def upstreams(self) -> list[int]:
        """The replica port each proxied request went to, in order (the last one tried)."""
        raise NotImplementedError

    def output(self) -> str:
        self.log.flush()
        return (self.folder / "stderr.log").read_text(encoding="utf-8", errors="replace")[-3000:]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


class Nginx(Proxy):
    def command(self, replicas: list[int]) -> list[str]:
        block = with_ports(readme_block("nginx"), replicas)
        assert "listen 80;" in block
        block = block.replace("listen 80;", f"listen 127.0.0.1:{self.port};")
        temp = " ".join(f"{kind}_temp_path {self.folder}/{kind};"
                        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        conf = self.folder / "nginx.conf"
        conf.write_text(f"worker_processes 1;\npid {self.folder}/nginx.pid;\nerror_log {self.folder}/error.log;\n"
                        "events { worker_connections 512; }\n"
                        "http {\n"
                        "    log_format routed '$request|$status|$upstream_addr';\n"
                        f"    access_log {self.folder}/access.log routed;\n    {temp}\n{block}}}\n",
                        encoding="utf-8")
        command = [require("nginx"), "-p", str(self.folder), "-c", str(conf)]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        return [*command, "-g", "daemon off;"]

    def requests(self) -> list[tuple[str, int, str]]:
        """(request, status, upstream addresses: "a:p" or "a:p, b:q" when one failed) so far."""
        out = []
        for line in (self.folder / "access.log").read_text(encoding="utf-8").splitlines():
            request, status, upstream = line.rsplit("|", 2)
            out.append((request, int(status), upstream))
        return out

    def upstreams(self) -> list[int]:
        return [int(upstream.rsplit(":", 1)[1]) for _, _, upstream in self.requests() if ":" in upstream]


class Caddy(Proxy):
    def command(self, replicas: list[int]) -> list[str]:
        block = with_ports(readme_block("caddy"), replicas)
        assert block.startswith(":80 {")
        block = f"http://127.0.0.1:{self.port} {{" + block[len(":80 {"):]
        # no admin endpoint, no certificates; debug logs name the upstream each request went to
        caddyfile = self.folder / "Caddyfile"
        caddyfile.write_text("{\n\tadmin off\n\tauto_https off\n\tdebug\n}\n" + block, encoding="utf-8")
        command = [require("caddy"), "run", "--config", str(caddyfile), "--adapter", "caddyfile"]
        checked = subprocess.run([require("caddy"), "validate", "--config", str(caddyfile), "--adapter",
                                  "caddyfile"], capture_output=True, text=True, env=self.env())
        assert checked.returncode == 0, checked.stderr
        return command

    def env(self) -> dict[str, str]:
        return {**os.environ, "XDG_DATA_HOME": str(self.folder / "data"), "XDG_CONFIG_HOME": str(self.folder / "config")}

    def upstreams(self) -> list[int]:
        out = []
        for line in self.output_all().splitlines():
            if '"selected upstream"' in line:
                dial = json.loads(line).get("dial", "")
                out.append(int(dial.rsplit(":", 1)[1]))
        return out

    def output_all(self) -> str:
        self.log.flush()
        return (self.folder / "stderr.log").read_text(encoding="utf-8", errors="replace")


@pytest.mark.parametrize("proxy_kind", [Nginx, Caddy], ids=["nginx", "caddy"])
def test_the_readmes_proxy_serves_two_replicas_and_outlives_one(proxy_kind, team_db, tmp_path, run_app,  # noqa: F811
                                                                wf_browser):
    env = {"EARMARK_DATA": str(tmp_path / "shared")}
    replicas = [run_app(team_db, env=env, folder=tmp_path), run_app(team_db, env=env, folder=tmp_path)]
    ports = [r.port for r in replicas]
    proxy = proxy_kind(tmp_path / "proxy", ports)
    contexts = [wf_browser.new_context(viewport={"width": 1100, "height": 760}) for _ in range(ANNOTATORS)]
    try:
        cards = [CardPage(c.new_page(), proxy.url).open("team", session=f"ann{i}") for i, c in enumerate(contexts)]
        answer_in_turn(cards, "a", ROUND)
        for card in cards:
            card.wait_saved(timeout=60)
        first = answers(team_db)
        assert len(first) == ANNOTATORS * ROUND and len({t for _, t, _ in first}) == len(first)
        used = proxy.upstreams()
        assert used and set(used) <= set(ports), used
        if isinstance(proxy, Nginx):
            # ip_hash: one client address, one replica (every browser here is 127.0.0.1);
            # the audio came through it too
            assert len(set(used)) == 1
            assert any("/api/media/" in request and status in (200, 206) for request, status, _ in proxy.requests())

        # the replica the last request went to dies in the middle of a round: its browsers
        # keep their answers, reconnect through the proxy, which sends them to the other
        # replica, and the answers arrive there
        serving = next(r for r in replicas if r.port == used[-1])
        other = next(r for r in replicas if r is not serving)
        seen = len(used)
        serving.kill()
        answer_in_turn(cards, "x", ROUND)
        for card in cards:
            card.page.reload()
            card.wait_task(timeout=60_000)
            card.wait_saved(timeout=90)
        assert_each_answer_saved_once(team_db, ANNOTATORS, ROUND)
        assert other.port in proxy.upstreams()[seen:]
    finally:
        for context in contexts:
            context.close()
        proxy.stop()
