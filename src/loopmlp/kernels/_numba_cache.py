"""numba's on-disk cache, made safe for what users do: run scripts again and again, at once.

numba caches each compiled kernel next to its source (or in ``NUMBA_CACHE_DIR``). Three ways
that cache went wrong for loopmlp, and what this module does about each, then what it does
to load fast (point 4):

1. **A cached caller that forgot its parallel callee** (a SIGSEGV when it is loaded).
   A compiled function that calls a ``parallel=True`` function contains that callee's
   machine code, which calls numba's threading layer; a cached copy of it is only usable
   after the threading layer is launched. numba records that in the cached overload
   (``reload_init = [_reload_parfors]``), inherited from the callee's code library, but a
   code library *loaded from the cache* comes back with an empty ``_reload_init``
   (``CPUCodeLibrary._unserialize`` in ``numba/core/codegen.py``). So a caller compiled in a
   process whose parallel callee came from the cache is saved with nothing to re-run, and
   the next process that loads it calls into a threading layer that was never launched.
   So ``_rearranged.train`` compiled over a cached ``hidden_update_forward_threads`` has no
   ``reload_init``, and loading it crashes; with the threading layer launched first, the
   same cache runs. numba#8578 and numba#9938 report the same. So the cache of every kernel
   whose code may contain a parallel kernel's launches the threading layer
   (:func:`launch_threads`, once per process) before it loads anything, and no cached
   overload depends on its own ``reload_init``. Which kernels those are is known before any
   is compiled: the parallel ones, and those that name, among the callees ``_numba._compile``
   binds, one of them, through any chain of callees (a function's compiled code can only
   contain the code of the functions it calls, and ours call theirs by those names). The
   others load without starting threads: a small net's first call needs none.

2. **Two processes saving different overloads of one function at once.** numba numbers the
   data files of a function's overloads 1, 2, ... in order of saving: two processes that both
   read the index ``{sig1: 1}`` both save their new overload as ``.2.nbc``, and the index of
   one can end up naming the data of the other: a kernel of one signature loaded for
   another (``IndexDataCacheFile.save`` allows it). Here each data
   file is named by a hash of its key (signature, CPU, bytecode), so a name can only ever
   hold the data of its own key; the data is written before the index that names it; and
   every index's read-modify-write holds one lock file per folder, so no entry is lost
   either (where there is no ``fcntl``, a lost entry costs a recompile).

3. **Caches that must never be loaded.** numba's index key holds the CPU (name and
   features) and the function's bytecode, and checks its source file's timestamp, but not
   the compile options, the callees' source, or the package version: a kernel cached with
   ``fastmath`` was loaded as the bit-exact one, and after an upgrade a caller could keep
   old callees. :func:`source_tag` hashes loopmlp's version, the source of every module whose
   functions are compiled, and the compile options into the compiled functions' names, and
   numba's cache files are named after them: another version or another option set never
   finds these files.

4. **Loading only what cached code needs.** numba's ``FunctionCache.load_overload`` first
   refreshes the target context: it imports every implementation numba has (scipy's linear
   algebra among them, for numba's BLAS check) and installs them in the typing and target
   contexts, which is most of what a first call from the cache costs. That is what the
   compiler needs, and every compile still does it itself (``CompilerBase.__init__``). A
   cached kernel is machine code: what it needs is the symbols it was linked to, which
   :func:`prepare_to_load` registers (point 1 adds the threading layer's).

If no cache directory can be written (site-packages owned by another user, no writable
home, an unusable ``NUMBA_CACHE_DIR``), the kernels still work, uncached, after one warning.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import warnings
from pathlib import Path

from numba.core.caching import FunctionCache, IndexDataCacheFile

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]


def launch_threads() -> None:
    """Launch numba's threading layer: what a cached parallel callee's ``reload_init`` does."""
    from numba.np.ufunc.parallel import _launch_threads

    _launch_threads()


def keep_reload_init() -> None:
    """Give a code library loaded from the cache back its ``reload_init`` (point 1), as a
    library compiled in this process has it; once per process.

    numba calls a cached overload's ``reload_init`` callables as it loads it, but leaves the
    library it loads without them; a function compiled over it then links a library with
    nothing to inherit, and its own entry is saved without them: without the threading
    layer's launch, or ``loopmlp.numba_kernels``' stamp. This puts them back on the loaded
    library, so they reach every function compiled over it.
    """
    from numba.core.compiler import CompileResult

    rebuild = CompileResult._rebuild.__func__  # type: ignore[attr-defined]
    if getattr(rebuild, "keeps_reload_init", False):
        return

    def _rebuild(cls, target_context, *args):
        cres = rebuild(cls, target_context, *args)
        if cres.reload_init:
            cres.library._reload_init.update(cres.reload_init)
        return cres

    _rebuild.keeps_reload_init = True  # type: ignore[attr-defined]
    CompileResult._rebuild = classmethod(_rebuild)  # type: ignore[method-assign,assignment]


def prepare_to_load(target_context) -> None:
    """Register the symbols that code loaded from the cache is linked to, as numba's
    ``target_context.refresh()`` would (point 4), without the rest of that refresh.

    The symbols numba registers are: its C helpers, ``Py_None`` and the builtin exceptions
    (when the target context is made), the C math functions (``CPUContext.init``), NRT's
    functions and atomics (``rtsys.initialize``, which ``refresh`` calls), the hash secret
    (on importing ``numba.cpython.hashing``, which ``refresh`` imports) and the threading
    layer's (:func:`launch_threads`). A kernel whose symbol is missing would not load.
    """
    import numba.cpython.hashing  # noqa: F401  (registers the hash secret's symbols)
    from numba.core.runtime import rtsys

    rtsys.initialize(target_context)


def source_tag(modules, options: dict) -> str:
    """``_`` and 12 hex digits of a hash of loopmlp's version, the modules' source and the
    compile options: a suffix for the compiled clones' names, hence for their cache files."""
    from .. import __version__

    h = hashlib.sha256(repr((__version__, sorted(options.items()))).encode())
    for module in modules:
        h.update(Path(module.__file__).read_bytes())
    return "_" + h.hexdigest()[:12]


class _CacheFile(IndexDataCacheFile):
    """numba's index and data files, with each data file named after its key."""

    def save(self, key, data):
        digest = hashlib.sha256(str(key).encode()).hexdigest()[:16]
        data_name = self._data_name_pattern.replace("{number:d}", digest)
        self._save_data(data_name, data)  # first the data, then the index that names it
        with self._index_lock():
            overloads = self._load_index()
            overloads[key] = data_name
            self._save_index(overloads)

    def load(self, key):
        try:
            return super().load(key)
        except (EOFError, pickle.UnpicklingError, ValueError):
            return None  # an unreadable entry is a cache miss: compile again

    @contextlib.contextmanager
    def _index_lock(self):
        if fcntl is None:
            yield
            return
        with open(os.path.join(self._cache_path, "loopmlp.lock"), "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)


class _Cache(FunctionCache):
    """numba's ``FunctionCache`` over :class:`_CacheFile`; a failed save only warns, and a
    load loads only what cached code needs (:func:`prepare_to_load`)."""

    def __init__(self, py_func, threaded: bool):
        super().__init__(py_func)
        self._threaded = threaded
        self._cache_file = _CacheFile(
            self._cache_path, self._impl.filename_base, self._impl.locator.get_source_stamp()
        )

    def load_overload(self, sig, target_context):
        if self._threaded:
            launch_threads()
        prepare_to_load(target_context)  # instead of numba's target_context.refresh()
        with self._guard_against_spurious_io_errors():
            return self._load_overload(sig, target_context)

    def save_overload(self, sig, data):
        try:
            super().save_overload(sig, data)
        except OSError as e:
            _warn_once(f"cannot write numba's cache ({e})")


_warned = False


def _warn_once(why: str) -> None:
    global _warned
    if not _warned:
        _warned = True
        warnings.warn(
            f"loopmlp: {why}; the numba kernels work but are compiled again in "
            f"every process (set NUMBA_CACHE_DIR to a writable folder)",
            stacklevel=3,
        )


def enable_caching(dispatcher, threaded: bool) -> None:
    """Give ``dispatcher`` the safe cache, or none (after one warning) if no folder is
    usable. ``threaded``: its compiled code may contain a parallel kernel's, so the
    threading layer is launched before any of it is loaded (point 1)."""
    try:
        dispatcher._cache = _Cache(dispatcher.py_func, threaded)
    except RuntimeError as e:  # numba: "cannot cache function ...: no locator available"
        _warn_once(f"no writable folder for numba's cache ({e})")
