"""A Python without the POSIX-only calls that Windows and macOS lack: loaded by every process that has this folder on
``PYTHONPATH`` (``tests/test_portability.py`` runs the learner's path so, notebook kernels included).

Python imports ``sitecustomize`` at start-up, before any other code. This one takes away, in the whole process, CPU
affinity (macOS and Windows have none), new sessions and process-group signals, and glibc
(``ctypes.util.find_library("c")`` finds nothing, ``platform.libc_ver()`` names no C library). The libraries a
notebook kernel runs on check for those before they use them. Other POSIX-only calls (process groups, user ids,
``fork``, the signals Windows does not define, such as SIGKILL) and the POSIX-only modules (``fcntl``, ``resource``,
...) are taken away from the workshop's own code only: libraries such as ipykernel import them after asking
``sys.platform``, which still says Linux here. Each process then writes its command line, as JSON, as one line of the
file ``PORTABLE_PYTHON_LOG`` names, so that the test sees which processes ran without these calls.
"""

import builtins
import ctypes.util
import json
import os
import platform
import signal
import sys
import types

REMOVED_FROM_OS = ("sched_setaffinity", "sched_getaffinity", "setsid", "killpg")
HIDDEN_FROM_OS = ("getsid", "setpgid", "getpgid", "setpgrp", "getpgrp", "getuid", "geteuid", "getgid", "getegid",
                  "fork", "forkpty", "nice", "getloadavg", "uname", "sched_setaffinity", "sched_getaffinity")
# What Windows's signal module has; every other SIG... name (SIGKILL, SIGHUP, SIGALRM, ...) is hidden.
WINDOWS_SIGNALS = {"SIGABRT", "SIGBREAK", "SIGFPE", "SIGILL", "SIGINT", "SIGSEGV", "SIGTERM"}
HIDDEN_FROM_SIGNAL = tuple(name for name in dir(signal) if name.startswith("SIG") and not name.startswith("SIG_")
                           and name not in WINDOWS_SIGNALS) + (
    "alarm", "setitimer", "getitimer", "pause", "pthread_kill", "pthread_sigmask", "sigwait", "siginterrupt")
POSIX_ONLY_MODULES = {"fcntl", "resource", "pwd", "grp", "termios", "posix"}
WORKSHOP_PACKAGE = "utils"
LOG_VARIABLE = "PORTABLE_PYTHON_LOG"


class WithoutPosixCalls(types.ModuleType):
    """A standard module as the workshop's code sees it: the module itself, less the names in ``hidden``."""

    def __init__(self, module: types.ModuleType, hidden):
        super().__init__(module.__name__, module.__doc__)
        self._module, self._hidden = module, frozenset(hidden)

    def __getattr__(self, name):
        if name in self._hidden:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r} (a POSIX-only call, hidden here)")
        return getattr(self._module, name)

    def __dir__(self):
        return sorted(set(dir(self._module)) - self._hidden)


WORKSHOP_VIEWS = {"os": WithoutPosixCalls(os, HIDDEN_FROM_OS), "signal": WithoutPosixCalls(signal, HIDDEN_FROM_SIGNAL)}


def import_for(importer: str, name: str, fromlist=()):
    """What ``import name`` (or ``from name import ...``) gives the code of the module or package ``importer``."""
    return builtins.__import__(name, {"__name__": importer, "__package__": importer}, None, fromlist, 0)


def still_there() -> list[str]:
    """The calls this process, or the workshop's code in it, can still reach: none, once :func:`remove` has run."""
    found = [f"os.{name}" for name in REMOVED_FROM_OS if hasattr(os, name)]
    if ctypes.util.find_library("c") is not None:
        found.append("ctypes.util.find_library('c')")
    if platform.libc_ver()[0]:
        found.append("platform.libc_ver()")
    for module, names in (("os", HIDDEN_FROM_OS), ("signal", HIDDEN_FROM_SIGNAL)):
        seen = import_for(WORKSHOP_PACKAGE, module)
        found += [f"{module}.{name}, to the workshop" for name in names if hasattr(seen, name)]
    for module in sorted(POSIX_ONLY_MODULES):
        try:
            import_for(f"{WORKSHOP_PACKAGE}.tools", module)
            found.append(f"import {module}, to the workshop")
        except ImportError:
            pass
    return found


def remove() -> None:
    for name in REMOVED_FROM_OS:
        if hasattr(os, name):
            delattr(os, name)
    find_library = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None if name in ("c", "libc") else find_library(name)
    platform.libc_ver = lambda *args, **kwargs: ("", "")

    original_import = builtins.__import__

    def import_without_posix_calls(name, globals=None, locals=None, fromlist=(), level=0):
        importer = (globals or {}).get("__package__") or (globals or {}).get("__name__") or ""
        if level == 0 and importer.partition(".")[0] == WORKSHOP_PACKAGE:
            if name.partition(".")[0] in POSIX_ONLY_MODULES:
                raise ModuleNotFoundError(f"No module named {name!r} (POSIX-only, refused to {importer})", name=name)
            if name in WORKSHOP_VIEWS:
                return WORKSHOP_VIEWS[name]
        return original_import(name, globals, locals, fromlist, level)

    builtins.__import__ = import_without_posix_calls


remove()
assert not still_there(), still_there()
if os.environ.get(LOG_VARIABLE):
    with open(os.environ[LOG_VARIABLE], "a", encoding="utf-8") as log:
        log.write(json.dumps(sys.orig_argv) + "\n")
