"""Where supervisor sessions are checkpointed: LangGraph's SQLite saver, usable from asyncio.

LangGraph ships two SQLite savers. ``AsyncSqliteSaver`` sends every write
through aiosqlite's worker thread; measured here it made a zero-latency
supervisor run take 9.6 ms instead of 3.1 ms, and 1,000 concurrent sessions
take 9.7 s instead of 4.2 s. ``SqliteSaver`` is the synchronous one and
refuses async calls. ``SessionSaver`` is ``SqliteSaver`` with its async
methods calling the synchronous ones directly: a write in WAL mode with
``synchronous=NORMAL`` takes well under a millisecond, which is cheaper than
the thread hop. The connection is shared by threads under the saver's lock,
so ``Supervisor.run`` may drive it from another thread's event loop.
``synchronous=NORMAL`` keeps every committed checkpoint through a crash of
the process; only a power cut can lose the last few.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import ChannelVersions, Checkpoint, CheckpointMetadata, CheckpointTuple
from langgraph.checkpoint.sqlite import SqliteSaver

MEMORY = ":memory:"


class SessionSaver(SqliteSaver):
    """``SqliteSaver`` whose async methods run the synchronous ones in the calling event loop."""

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """The checkpoint for ``config`` (the latest of its thread unless it names one)."""
        return self.get_tuple(config)

    async def alist(self, config: RunnableConfig | None, *, filter: dict[str, Any] | None = None,
                    before: RunnableConfig | None = None, limit: int | None = None) -> AsyncIterator[CheckpointTuple]:
        """Checkpoints matching the arguments, newest first."""
        for item in self.list(config, filter=filter, before=before, limit=limit):
            yield item

    async def aput(self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata,
                   new_versions: ChannelVersions) -> RunnableConfig:
        """Store a checkpoint."""
        return self.put(config, checkpoint, metadata, new_versions)

    async def aput_writes(self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str,
                          task_path: str = "") -> None:
        """Store the writes of one finished task (what lets a resumed run skip it)."""
        self.put_writes(config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        """Forget a session."""
        self.delete_thread(thread_id)

    async def aget_delta_channel_history(self, *, config: RunnableConfig,
                                         channels: Sequence[str]) -> Mapping[str, Any]:
        """As ``get_delta_channel_history``."""
        return self.get_delta_channel_history(config=config, channels=channels)

    def thread_ids(self) -> list[str]:
        """Every stored session id, most recently written first."""
        self.setup()
        with self.cursor(transaction=False) as cur:
            cur.execute("SELECT thread_id FROM checkpoints GROUP BY thread_id ORDER BY MAX(rowid) DESC")
            return [row[0] for row in cur.fetchall()]


def open_saver(path: str | Path) -> SessionSaver:
    """A ``SessionSaver`` on the SQLite file ``path`` (created with its folder), or in memory for ``:memory:``."""
    if str(path) != MEMORY:
        path = Path(path).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    saver = SessionSaver(conn)
    saver.setup()
    return saver
