"""A page without a browser: Streamlit's own websocket protocol, spoken to the real server.

Many of these at once are many people at once, as cheaply as a test can make them: each one
connects with its browser's key cookie, runs the script, and sets widgets by label, as the page's
JavaScript would.  Only what the load test needs is here (text inputs, buttons, query string).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from urllib.parse import urlparse

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

RUN_TIMEOUT_S = 120


@dataclass
class Widget:
    id: str
    kind: str
    label: str


@dataclass
class Run:
    widgets: list[Widget] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    query_string: str = ""


class PageClient:
    def __init__(self, url: str, key: str):
        self.url, self.key = url, key
        self.query_string = ""
        self.socket = None

    async def __aenter__(self) -> PageClient:
        parsed = urlparse(self.url)
        self.socket = await websockets.connect(
            f"ws://{parsed.netloc}/_stcore/stream",
            subprotocols=["streamlit"],
            origin=f"http://{parsed.netloc}",
            additional_headers={"Cookie": f"netbuilder_key={self.key}"},
            max_size=None,
        )
        return self

    async def __aexit__(self, *exc) -> None:
        await self.socket.close()

    async def run(self, widgets: dict[str, object] | None = None) -> Run:
        """One script run with `widgets` (widget id -> value) set; what the page then shows."""
        message = BackMsg()
        state = message.rerun_script
        state.query_string = self.query_string
        for widget_id, value in (widgets or {}).items():
            entry = state.widget_states.widgets.add(id=widget_id)
            if value is True and "button" in widget_id:
                entry.trigger_value = True
            else:
                entry.string_value = str(value)
        await self.socket.send(message.SerializeToString())
        return await asyncio.wait_for(self._until_finished(), RUN_TIMEOUT_S)

    async def _until_finished(self) -> Run:
        seen = Run()
        while True:
            msg = ForwardMsg()
            msg.ParseFromString(await self.socket.recv())
            kind = msg.WhichOneof("type")
            if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                what = element.WhichOneof("type")
                inner = getattr(element, what)
                if what == "exception":
                    seen.exceptions.append(f"{inner.type}: {inner.message}")
                elif hasattr(inner, "id") and hasattr(inner, "label") and inner.id:
                    seen.widgets.append(Widget(inner.id, what, inner.label))
            elif kind == "page_info_changed":
                self.query_string = msg.page_info_changed.query_string
            elif kind == "script_finished":
                if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # the script asked for another run: wait for that one
                seen.query_string = self.query_string
                return seen

    @staticmethod
    def widget(run: Run, kind: str, label: str) -> Widget:
        return next(w for w in run.widgets if w.kind == kind and w.label == label)
