"""Where chunks run: in this process, in local processes, or on a Dask cluster.

Everything is a :class:`concurrent.futures.Executor` (the interface Mesa 4's batch runner takes
too): :class:`SequentialExecutor`, a :class:`~concurrent.futures.ProcessPoolExecutor`, or
Dask's ``client.get_executor()``. :func:`run_chunks` keeps a bounded window of chunks in
flight (so the parent's memory stays flat however many there are) and, when a local worker
process dies (``BrokenProcessPool``), restarts the pool and submits the unfinished chunks
again. Dask reschedules a dead worker's task by itself.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any

from sim.processes import pid_alive
from sim.sweep.plan import SweepError
from sim.sweep.worker import Chunk, run_chunk

MAX_RESTARTS = 3  # pool breaks in a row, with no chunk finishing in between


class SequentialExecutor(Executor):
    """Runs each task at once, in this process (for debugging and tiny sweeps)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller via the future
            future.set_exception(exc)
        return future


# what the fork server imports once, so every worker forked from it starts with the model loaded
PRELOAD = ["sim.sweep.worker", "sim.engine.model", "sim.engine.metrics", "sim.engine.output"]


def _context() -> multiprocessing.context.BaseContext:
    """forkserver where there is one (no fork of a possibly threaded parent), else spawn."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def start_fork_server() -> None:
    """Start the fork server now, without waiting for it.

    It spends about a second importing :data:`PRELOAD` (Mesa, pandas, scipy); started before
    the parent plans the sweep, that second is spent on the other core instead of after it.
    A server already running (an earlier sweep in this process) is reused. Does nothing where
    there is no fork server (macOS and Windows use spawn).
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        _context()
        from multiprocessing import forkserver

        forkserver.ensure_running()


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes forked from the fork server (spawned without one);
    each exits as soon as this process dies (see :func:`watch_parent`)."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=_context(),
                               initializer=watch_parent, initargs=(os.getpid(),))


def watch_parent(pid: int) -> None:
    """Worker initializer: exit this process when process ``pid`` (the sweep) dies.

    A pool's workers are children of the fork server, not of the sweep, and keep working
    through the chunks already queued when the sweep is killed (kill -9, SIGTERM), holding
    hundreds of MB for minutes. A daemon thread waits on a pidfd of the sweep (Linux), or polls
    it twice a second elsewhere, and ends the worker at once: a chunk cut short leaves only a
    temporary file, and resuming runs it again.
    """
    import threading

    def wait_for_exit() -> None:
        try:
            import select

            fd = os.pidfd_open(pid)
            select.select([fd], [], [])
        except (AttributeError, OSError):  # no pidfd: poll
            while True:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                except PermissionError:
                    pass
                time.sleep(0.5)
        os._exit(3)

    if os.getppid() == pid or pid_alive(pid):
        threading.Thread(target=wait_for_exit, daemon=True, name="watch-parent").start()
    else:
        os._exit(3)



@contextmanager
def dask_client(address: str, workers: int) -> Iterator[Any]:
    """A Dask client: a new local cluster (``local``) or one at ``address``."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise SweepError("--dask needs Dask distributed: pip install 'chokepoint[cluster]'"
                         ) from None
    if address == "local":
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, host="127.0.0.1")
        with cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise SweepError(f"--dask {address}: cannot reach the scheduler ({exc})") from None
    with client:
        yield client


def dask_address(option: str | None) -> str | None:
    """``--dask`` if given, else ``DASK_SCHEDULER_ADDRESS`` from the environment."""
    return option or os.environ.get("DASK_SCHEDULER_ADDRESS") or None


BROKEN = ("out of memory, or run_sweep called from a script without an "
          "`if __name__ == '__main__':` guard (docs/sweeps.md)")


def call(executor: Executor, fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` run by the executor; a pool that breaks on it is a SweepError."""
    try:
        return executor.submit(fn, *args).result()
    except BrokenProcessPool:
        raise SweepError(f"a worker process died before the sweep started: {BROKEN}") from None


def run_chunks(make_executor: Callable[[], Executor], chunks: Iterator[Chunk], window: int,
               on_done: Callable[[dict[str, Any]], None],
               executor: Executor | None = None, keep: bool = False) -> Executor:
    """Run every chunk, at most ``window`` in flight; call ``on_done`` with each result.

    Args:
        make_executor: a new executor (called again after a local pool breaks).
        chunks: the chunks to run, built lazily in design order.
        window: chunks in flight (a few per worker keeps workers busy).
        on_done: the parent's bookkeeping (ledger, progress) for a finished chunk.
        executor: the executor to start with (default: a new one); shut down at the end.
        keep: leave the executor running at the end (the optimiser runs one batch of chunks
            per generation on the same workers); it is then returned, for the next batch
            (a new one if the pool broke on the way).
    """
    executor = executor or make_executor()
    inflight: dict[Future, Chunk] = {}
    retry: list[Chunk] = []
    breaks = 0
    try:
        while True:
            broken = False
            while len(inflight) < window:
                chunk = retry.pop(0) if retry else next(chunks, None)
                if chunk is None:
                    break
                try:
                    inflight[executor.submit(run_chunk, chunk)] = chunk
                except BrokenProcessPool:  # a worker died while the window was filling
                    retry.append(chunk)
                    broken = True
                    break
            if not inflight and not broken:
                return executor
            done, _ = wait(inflight, return_when=FIRST_COMPLETED) if inflight else (set(), None)
            for future in sorted(done, key=lambda f: inflight[f].index):
                chunk = inflight.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool:
                    retry.append(chunk)
                    broken = True
                    continue
                on_done(result)
                breaks = 0
            if broken:
                breaks += 1
                if breaks > MAX_RESTARTS:
                    raise SweepError(f"worker processes died {breaks} times in a row: "
                                     f"{BROKEN}; run again to resume")
                # every other chunk in flight went down with the pool
                retry = sorted(retry + list(inflight.values()), key=lambda c: c.index)
                inflight.clear()
                shutdown(executor)
                executor = make_executor()
    except BaseException:
        if keep:  # else the finally clause stops it
            shutdown(executor)
        raise
    finally:
        if not keep:
            shutdown(executor)


def shutdown(executor: Executor) -> None:
    """Stop an executor: a local pool's queued chunks are cancelled."""
    if isinstance(executor, ProcessPoolExecutor):
        executor.shutdown(wait=True, cancel_futures=True)
    else:  # Dask's executor has no cancel_futures; its client closes after this
        executor.shutdown(wait=False)
