"""A light simulated annotator: drives the running app as a browser tab does, over
Streamlit's websocket, without a browser.

What a tab does on the Annotate page, and this does too:

1. Open `/_stcore/stream` (subprotocol `streamlit`) and ask for a run of the
   page `annotate` with the query `dataset=NAME&session=NAME`, as the
   browser's first `rerun_script` BackMsg does (page name from the URL's path,
   no page hash yet); later runs name the page by the hash the server gave in
   its `navigation` message, with the query the server last set
   (`page_info_changed`).
2. Read the ForwardMsgs: the annotation card is the delta whose
   `component_instance` is the waveform component; its `id` is the widget id
   and its `json_args` the card's args (`queue`, `acked`, ...).
3. Answer as the card does (components/waveform/frontend/src/card.ts,
   pending.ts, bridge.ts): the task on screen is the first queued task not
   answered in this tab (`queue.ts`); an answer takes the tab's next `seq`,
   carries the task's regions, transcript and spans as shown, joins the
   pending log, and a value `{client, dataset, session, pending, event}` goes
   out as the component's JSON widget value in a `rerun_script` BackMsg with
   every answer not yet acknowledged. Values go out at most every 200 ms
   (later answers ride on the next one) and again after 3 s without an ack.
   An entry leaves the log when the args' `acked[client]` reaches its seq.
4. Optionally fetch the audio of the task on screen and of the next two, as
   the card's media element and its preloading do (`fetch_audio`).

Each answer is timed from the moment its value was written to the socket:
- `next`: until the first card args whose queue no longer holds the answered
  task (the server's answer to "what next", after it has seen the answer);
- `commit`: until the first card args whose `acked` covers its seq (stored,
  with its receipt).

Streamlit's message cache is not used (no `cached_message_hashes` sent): every
run's deltas come whole, which is what a browser gets for a card whose args
changed.
"""

from __future__ import annotations

import asyncio
import json
import random
import string
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from websockets.asyncio.client import connect

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

COMPONENT = "waveform"          # the component's name ends with this (components.waveform)
SEND_GAP = 0.2                  # card.ts SEND_GAP_MS
RESEND = 3.0                    # card.ts RESEND_MS
PRELOAD = 2                     # card.ts PRELOAD


@dataclass
class Timing:
    """One answer: what it was, when it went out, when its next queue and its ack came."""
    seq: int
    task_id: str
    given: float                 # monotonic: the answer given (card: the key)
    sent: float | None = None    # the first value carrying it written to the socket
    next_at: float | None = None
    acked_at: float | None = None

    @property
    def next_ms(self) -> float | None:
        return None if self.sent is None or self.next_at is None else (self.next_at - self.given) * 1000

    @property
    def commit_ms(self) -> float | None:
        return None if self.sent is None or self.acked_at is None else (self.acked_at - self.given) * 1000


@dataclass
class Stats:
    runs: int = 0                # script_finished messages
    reruns_sent: int = 0
    errors: list[str] = field(default_factory=list)
    card_args: int = 0
    bytes_in: int = 0
    audio_fetches: int = 0


def client_id(rng: random.Random) -> str:
    """A tab's client id, as pending.ts makes one (16 base-36 characters)."""
    return "".join(rng.choice(string.digits + string.ascii_lowercase) for _ in range(16))


class LightAnnotator:
    """One annotator's tab on the Annotate page of the app at `base` (http://host:port)."""

    def __init__(self, base: str, dataset: str, session: str, *, answer: str = "accept",
                 fetch_audio: bool = False, seed: int | None = None):
        self.base = base.rstrip("/")
        self.dataset, self.session, self.answer = dataset, session, answer
        self.fetch_audio = fetch_audio
        self.rng = random.Random(seed)
        # a new tab's id is random whatever the pace's seed (pending.ts: Math.random)
        self.client = client_id(random.SystemRandom())
        self.query = urllib.parse.urlencode({"dataset": dataset, "session": session})
        self.page_hash = ""
        self.widget_id: str | None = None
        self.args: dict | None = None
        self.args_event = asyncio.Event()
        self.seq = 0
        self.pending: list[dict] = []             # the pending log: every unacked entry
        self.answered: set[str] = set()           # task ids answered in this tab
        self.current: dict | None = None
        self.upcoming: list[dict] = []
        self.timings: list[Timing] = []
        self._waiting: dict[int, Timing] = {}     # seq -> timing, until next and ack both came
        self.stats = Stats()
        self.exhausted = False
        self.error_text: str | None = None
        self._ws = None
        self._reader: asyncio.Task | None = None
        self._last_sent = 0.0
        self._last_ack = time.monotonic()
        self._send_timer: asyncio.TimerHandle | None = None
        self._event_no = 0
        self._fetched: set[str] = set()
        self._closed = False

    # -- the connection --------------------------------------------------------
    async def open(self, timeout: float = 60.0) -> None:
        """Connect and run the page until the card's args with a task arrive."""
        ws_url = self.base.replace("http://", "ws://").replace("https://", "wss://") + "/_stcore/stream"
        self._ws = await connect(ws_url, subprotocols=["streamlit"], max_size=None, compression=None,
                                 open_timeout=timeout, ping_interval=None)
        self._reader = asyncio.get_running_loop().create_task(self._read())
        await self._rerun(first=True)
        deadline = time.monotonic() + timeout
        while self.current is None and not self.exhausted:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self.session}: no card with a task within {timeout:.0f} s")
            self.args_event.clear()
            try:
                await asyncio.wait_for(self.args_event.wait(), left)
            except asyncio.TimeoutError:
                pass

    async def close(self) -> None:
        self._closed = True
        if self._send_timer is not None:
            self._send_timer.cancel()
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            try:
                await asyncio.wait_for(self._reader, 5)
            except (asyncio.TimeoutError, Exception):  # noqa: BLE001
                self._reader.cancel()

    async def _rerun(self, value: dict | None = None, first: bool = False) -> None:
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query
        if first or not self.page_hash:
            state.page_name = "annotate"
        else:
            state.page_script_hash = self.page_hash
        state.context_info.timezone = "UTC"
        state.context_info.timezone_offset = 0
        state.context_info.locale = "en-GB"
        state.context_info.url = f"{self.base}/annotate?{self.query}"
        if value is not None and self.widget_id is not None:
            w = state.widget_states.widgets.add()
            w.id = self.widget_id
            w.json_value = json.dumps(value, separators=(",", ":"))
        await self._ws.send(msg.SerializeToString())
        self.stats.reruns_sent += 1

    async def _read(self) -> None:
        try:
            async for data in self._ws:
                self.stats.bytes_in += len(data)
                fm = ForwardMsg()
                fm.ParseFromString(data)
                self._on_message(fm, time.monotonic())
        except Exception as exc:  # noqa: BLE001  (a closed socket at the end, or the server gone)
            if not self._closed:
                self.stats.errors.append(f"connection: {exc!r}")

    def _on_message(self, fm: ForwardMsg, now: float) -> None:
        kind = fm.WhichOneof("type")
        if kind == "navigation":
            self.page_hash = fm.navigation.page_script_hash or self.page_hash
        elif kind == "new_session":
            self.page_hash = fm.new_session.page_script_hash or self.page_hash
        elif kind == "page_info_changed":
            self.query = fm.page_info_changed.query_string
        elif kind == "script_finished":
            self.stats.runs += 1
        elif kind == "delta":
            delta = fm.delta
            if delta.WhichOneof("type") != "new_element":
                return
            element = delta.new_element
            which = element.WhichOneof("type")
            if which == "component_instance" and element.component_instance.component_name.endswith(COMPONENT):
                ci = element.component_instance
                self.widget_id = ci.id
                args = json.loads(ci.json_args)
                if args.get("mode") == "card":
                    self._on_args(args, now)
            elif which == "exception":
                self.stats.errors.append(f"exception: {element.exception.message[:200]}")

    # -- the card ----------------------------------------------------------------
    def _on_args(self, args: dict, now: float) -> None:
        self.stats.card_args += 1
        self.args = args
        acked = args.get("acked") or {}
        if acked:
            self._last_ack = now
        upto = acked.get(self.client)
        if isinstance(upto, int):
            self.pending = [e for e in self.pending if e["seq"] > upto]
        queued = [str(q["task_id"]) for q in args.get("queue") or []]
        held = set(queued)
        for seq, t in list(self._waiting.items()):
            if t.sent is None:
                continue
            if t.next_at is None and t.task_id not in held:
                t.next_at = now
            if t.acked_at is None and isinstance(upto, int) and seq <= upto:
                t.acked_at = now
            if t.next_at is not None and t.acked_at is not None:
                del self._waiting[seq]
        # queue.ts offer(): tasks answered here and the one on screen are left out
        on_screen = self.current["task_id"] if self.current else None
        self.upcoming = [q for q in args.get("queue") or []
                         if str(q["task_id"]) not in self.answered and str(q["task_id"]) != on_screen]
        if self.current is None and self.upcoming:
            self.current = self.upcoming.pop(0)
        self.exhausted = bool(args.get("exhausted")) and not self.upcoming and self.current is None
        self.error_text = args.get("error")
        if self.error_text:
            self.stats.errors.append(f"card error: {self.error_text[:200]}")
        self.args_event.set()
        if self.fetch_audio:
            self._preload()

    def _preload(self) -> None:
        items = ([self.current] if self.current else []) + self.upcoming[:PRELOAD]
        for item in items:
            url = item.get("audio")
            if url and not item.get("problem") and url not in self._fetched:
                self._fetched.add(url)
                asyncio.get_running_loop().run_in_executor(None, self._get, url)

    def _get(self, url: str) -> None:
        full = url if url.startswith("http") else self.base + "/" + url.lstrip("/")
        try:
            with urllib.request.urlopen(full, timeout=30) as r:
                r.read()
            self.stats.audio_fetches += 1
        except Exception as exc:  # noqa: BLE001
            self.stats.errors.append(f"audio {url}: {exc!r}")

    def give_answer(self) -> Timing | None:
        """Answer the task on screen (card.ts give()); None when there is none."""
        item = self.current
        if item is None or self.args is None:
            return None
        self.seq += 1
        spans = item.get("spans")
        entry = {
            "dataset": self.args["dataset"], "session": self.args["session"],
            "task_id": str(item["task_id"]), "answer": self.answer,
            "regions": list(item.get("regions") or []),
            "transcript": item.get("transcript"),
            "spans": list(spans) if isinstance(spans, list) else None,
            "client": self.client, "seq": self.seq, "ts": time.time(),
        }
        self.pending.append(entry)
        self.answered.add(entry["task_id"])
        self.current = self.upcoming.pop(0) if self.upcoming else None
        timing = Timing(self.seq, entry["task_id"], time.monotonic())
        self.timings.append(timing)
        self._waiting[self.seq] = timing
        self._send_soon("answer")
        if self.fetch_audio:
            self._preload()
        return timing

    def _send_soon(self, kind: str) -> None:
        wait = self._last_sent + SEND_GAP - time.monotonic()
        if wait <= 0:
            asyncio.get_running_loop().create_task(self._send_now(kind))
        elif self._send_timer is None:
            def fire() -> None:
                self._send_timer = None
                asyncio.get_running_loop().create_task(self._send_now(kind))
            self._send_timer = asyncio.get_running_loop().call_later(wait, fire)

    async def _send_now(self, kind: str) -> None:
        if self.args is None or self._closed:
            return
        self._last_sent = time.monotonic()
        self._event_no += 1
        value = {"client": self.client, "dataset": self.args["dataset"], "session": self.args["session"],
                 "pending": list(self.pending),
                 "event": {"type": kind, "id": f"{self.client}-{self._event_no}", "time": time.time()}}
        await self._rerun(value)
        sent = time.monotonic()
        for e in value["pending"]:
            t = self._waiting.get(e["seq"])
            if t is not None and t.sent is None:
                t.sent = sent

    async def tick(self) -> None:
        """card.ts tick(): answers unacknowledged for RESEND seconds go again."""
        now = time.monotonic()
        if self.pending and now - self._last_sent > RESEND and now - self._last_ack > RESEND:
            await self._send_now("resend")

    async def wait_saved(self, timeout: float = 60.0) -> bool:
        """Until every answer is acknowledged (re-sending as the card does)."""
        deadline = time.monotonic() + timeout
        while self.pending and time.monotonic() < deadline:
            await self.tick()
            await asyncio.sleep(0.1)
        return not self.pending

    async def annotate(self, answers: int, pace: tuple[float, float], stop_at: float | None = None) -> None:
        """Give `answers` answers, one every `pace` seconds (uniform between the two),
        waiting for a task when the queue is empty; stops early at `stop_at` (monotonic)."""
        for _ in range(answers):
            pause = self.rng.uniform(*pace)
            end = time.monotonic() + pause
            while time.monotonic() < end:
                await self.tick()
                await asyncio.sleep(min(0.25, max(0.0, end - time.monotonic())))
            if stop_at is not None and time.monotonic() >= stop_at:
                return
            while self.current is None and not self.exhausted:
                self.args_event.clear()
                await self.tick()
                try:
                    await asyncio.wait_for(self.args_event.wait(), 0.5)
                except asyncio.TimeoutError:
                    pass
                if stop_at is not None and time.monotonic() >= stop_at:
                    return
            if self.give_answer() is None:
                return


async def _demo(base: str, dataset: str, session: str, answers: int) -> None:
    tab = LightAnnotator(base, dataset, session, fetch_audio=True)
    await tab.open()
    await tab.annotate(answers, (0.5, 1.0))
    ok = await tab.wait_saved()
    await asyncio.sleep(0.5)
    await tab.close()
    for t in tab.timings:
        print(f"seq {t.seq} task {t.task_id}: next {t.next_ms} ms, commit {t.commit_ms} ms")
    print("all saved" if ok else "NOT all saved", tab.stats)


if __name__ == "__main__":   # python bench/light_client.py http://127.0.0.1:PORT DATASET SESSION [ANSWERS]
    import sys
    asyncio.run(_demo(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 5))
